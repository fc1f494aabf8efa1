const chars = (s: string): number => Array.from(s).length;

/**
 * Greedy word wrap at spaces and '\n' into lines of at most maxChars characters (code
 * points: the fonts are monospaced). A no-break space holds its words together.
 * `fits` is false when some word is longer than a line; such words are cut.
 */
export function wrapText(text: string, maxChars: number): { lines: string[]; fits: boolean } {
  const lines: string[] = [];
  let fits = true;
  if (maxChars < 1) return { lines: [text], fits: false };
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/ +/).filter((w) => w.length > 0)) {
      let w = word;
      while (chars(w) > maxChars) {
        fits = false;
        if (line) { lines.push(line); line = ''; }
        const cps = Array.from(w);
        lines.push(cps.slice(0, maxChars).join(''));
        w = cps.slice(maxChars).join('');
      }
      if (!w) continue;
      if (!line) line = w;
      else if (chars(line) + 1 + chars(w) <= maxChars) line += ' ' + w;
      else { lines.push(line); line = w; }
    }
    lines.push(line);
  }
  return { lines, fits };
}

/**
 * Wraps into as few lines as wrapText(text, maxChars) needs, but with lines of even
 * length ("Signal unstable —" / "check the HDMI cable" rather than a lone "cable").
 */
export function wrapBalanced(text: string, maxChars: number): { lines: string[]; fits: boolean } {
  const greedy = wrapText(text, maxChars);
  if (!greedy.fits || greedy.lines.length < 2) return greedy;
  for (let m = Math.ceil(chars(text) / greedy.lines.length); m < maxChars; m++) {
    const w = wrapText(text, m);
    if (w.fits && w.lines.length <= greedy.lines.length) return w;
  }
  return greedy;
}
