/**
 * A tiny 5×8 bitmap font (digits, A–Z, a–z, French accents é è ê à â ç ù ô î, basic
 * punctuation, — … ×) and drawText into an I420 luma plane. For the test pattern and the
 * slate only; the cart display has its own font.
 *
 * Each glyph is 7 or 8 rows of 5 cells ('#' lit), top to bottom; rows 0–6 hold capitals
 * and digits, lowercase bodies sit on rows 2–6, row 7 holds descenders and the cedilla.
 * A glyph advances 6 cells (one blank column); a line is 9 cells tall.
 */

const GLYPHS: Record<string, string> = {
  ' ': '..... ..... ..... ..... ..... ..... .....',
  '0': '.###. #...# #..## #.#.# ##..# #...# .###.',
  '1': '..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.',
  '2': '.###. #...# ....# ...#. ..#.. .#... #####',
  '3': '##### ...#. ..#.. ...#. ....# #...# .###.',
  '4': '...#. ..##. .#.#. #..#. ##### ...#. ...#.',
  '5': '##### #.... ####. ....# ....# #...# .###.',
  '6': '..##. .#... #.... ####. #...# #...# .###.',
  '7': '##### ....# ...#. ..#.. .#... .#... .#...',
  '8': '.###. #...# #...# .###. #...# #...# .###.',
  '9': '.###. #...# #...# .#### ....# ...#. .##..',
  A: '.###. #...# #...# ##### #...# #...# #...#',
  B: '####. #...# #...# ####. #...# #...# ####.',
  C: '.###. #...# #.... #.... #.... #...# .###.',
  D: '###.. #..#. #...# #...# #...# #..#. ###..',
  E: '##### #.... #.... ####. #.... #.... #####',
  F: '##### #.... #.... ####. #.... #.... #....',
  G: '.###. #...# #.... #.### #...# #...# .####',
  H: '#...# #...# #...# ##### #...# #...# #...#',
  I: '.###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  J: '..### ...#. ...#. ...#. ...#. #..#. .##..',
  K: '#...# #..#. #.#.. ##... #.#.. #..#. #...#',
  L: '#.... #.... #.... #.... #.... #.... #####',
  M: '#...# ##.## #.#.# #.#.# #...# #...# #...#',
  N: '#...# #...# ##..# #.#.# #..## #...# #...#',
  O: '.###. #...# #...# #...# #...# #...# .###.',
  P: '####. #...# #...# ####. #.... #.... #....',
  Q: '.###. #...# #...# #...# #.#.# #..#. .##.#',
  R: '####. #...# #...# ####. #.#.. #..#. #...#',
  S: '.#### #.... #.... .###. ....# ....# ####.',
  T: '##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..',
  U: '#...# #...# #...# #...# #...# #...# .###.',
  V: '#...# #...# #...# #...# #...# .#.#. ..#..',
  W: '#...# #...# #...# #.#.# #.#.# #.#.# .#.#.',
  X: '#...# #...# .#.#. ..#.. .#.#. #...# #...#',
  Y: '#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..',
  Z: '##### ....# ...#. ..#.. .#... #.... #####',
  a: '..... ..... .###. ....# .#### #...# .####',
  b: '#.... #.... #.##. ##..# #...# #...# ####.',
  c: '..... ..... .###. #.... #.... #...# .###.',
  d: '....# ....# .##.# #..## #...# #...# .####',
  e: '..... ..... .###. #...# ##### #.... .###.',
  f: '..##. .#..# .#... ###.. .#... .#... .#...',
  g: '..... ..... .#### #...# #...# .#### ....# .###.',
  h: '#.... #.... #.##. ##..# #...# #...# #...#',
  i: '..#.. ..... .##.. ..#.. ..#.. ..#.. .###.',
  j: '...#. ..... ..##. ...#. ...#. ...#. #..#. .##..',
  k: '#.... #.... #..#. #.#.. ##... #.#.. #..#.',
  l: '.##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.',
  m: '..... ..... ##.#. #.#.# #.#.# #...# #...#',
  n: '..... ..... #.##. ##..# #...# #...# #...#',
  o: '..... ..... .###. #...# #...# #...# .###.',
  p: '..... ..... ####. #...# #...# ####. #.... #....',
  q: '..... ..... .##.# #..## #...# .#### ....# ....#',
  r: '..... ..... #.##. ##..# #.... #.... #....',
  s: '..... ..... .###. #.... .###. ....# ####.',
  t: '.#... .#... ###.. .#... .#... .#..# ..##.',
  u: '..... ..... #...# #...# #...# #..## .##.#',
  v: '..... ..... #...# #...# #...# .#.#. ..#..',
  w: '..... ..... #...# #...# #.#.# #.#.# .#.#.',
  x: '..... ..... #...# .#.#. ..#.. .#.#. #...#',
  y: '..... ..... #...# #...# #...# .#### ....# .###.',
  z: '..... ..... ##### ...#. ..#.. .#... #####',
  'é': '...#. ..#.. .###. #...# ##### #.... .###.',
  'è': '.#... ..#.. .###. #...# ##### #.... .###.',
  'ê': '..#.. .#.#. .###. #...# ##### #.... .###.',
  'à': '.#... ..#.. .###. ....# .#### #...# .####',
  'â': '..#.. .#.#. .###. ....# .#### #...# .####',
  'ç': '..... ..... .###. #.... #.... #...# .###. ..#..',
  'ù': '.#... ..#.. #...# #...# #...# #..## .##.#',
  'ô': '..#.. .#.#. .###. #...# #...# #...# .###.',
  'î': '..#.. .#.#. ..... .##.. ..#.. ..#.. .###.',
  '.': '..... ..... ..... ..... ..... .##.. .##..',
  ',': '..... ..... ..... ..... .##.. .##.. ..#.. .#...',
  ':': '..... .##.. .##.. ..... .##.. .##.. .....',
  ';': '..... .##.. .##.. ..... .##.. .##.. ..#.. .#...',
  '!': '..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..',
  '?': '.###. #...# ....# ...#. ..#.. ..... ..#..',
  '-': '..... ..... ..... .###. ..... ..... .....',
  '—': '..... ..... ..... ##### ..... ..... .....',
  '…': '..... ..... ..... ..... ..... ..... #.#.#',
  '×': '..... #...# .#.#. ..#.. .#.#. #...# .....',
  '/': '....# ....# ...#. ..#.. .#... #.... #....',
  '(': '...#. ..#.. .#... .#... .#... ..#.. ...#.',
  ')': '.#... ..#.. ...#. ...#. ...#. ..#.. .#...',
  '[': '.###. .#... .#... .#... .#... .#... .###.',
  ']': '.###. ...#. ...#. ...#. ...#. ...#. .###.',
  '<': '...#. ..#.. .#... #.... .#... ..#.. ...#.',
  '>': '.#... ..#.. ...#. ....# ...#. ..#.. .#...',
  '%': '##..# ##..# ...#. ..#.. .#... #..## #..##',
  '+': '..... ..#.. ..#.. ##### ..#.. ..#.. .....',
  '=': '..... ..... ##### ..... ##### ..... .....',
  '*': '..... ..#.. #.#.# .###. #.#.# ..#.. .....',
  '#': '.#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.',
  '@': '.###. #...# #.### #.#.# #.### #.... .####',
  '&': '.##.. #..#. #.#.. .#... #.#.# #..#. .##.#',
  "'": '..#.. ..#.. .#... ..... ..... ..... .....',
  '’': '..#.. ..#.. .#... ..... ..... ..... .....',
  '"': '.#.#. .#.#. ..... ..... ..... ..... .....',
  _: '..... ..... ..... ..... ..... ..... #####',
};
/** Drawn for any character the font lacks. */
const MISSING = '##### #...# #...# #...# #...# #...# #####';

export const GLYPH_WIDTH = 5;
export const GLYPH_ROWS = 8;
/** Horizontal advance per character, in font cells. */
export const ADVANCE = 6;
/** Line height in font cells (8 glyph rows + 1 gap). */
export const LINE_HEIGHT = 9;

/** Each glyph as 8 row masks, bit 4 = leftmost cell. */
const rows = new Map<string, Uint8Array>();
function parse(spec: string): Uint8Array {
  const out = new Uint8Array(GLYPH_ROWS);
  spec.split(' ').forEach((row, r) => {
    for (let c = 0; c < GLYPH_WIDTH; c++) if (row[c] === '#') out[r]! |= 1 << (GLYPH_WIDTH - 1 - c);
  });
  return out;
}
for (const [ch, spec] of Object.entries(GLYPHS)) rows.set(ch, parse(spec));
const missing = parse(MISSING);

/** The row masks of a character (the MISSING box if the font lacks it). */
export function glyph(ch: string): Uint8Array {
  return rows.get(ch) ?? missing;
}

/** True when the font has a glyph for every character of text. */
export function canRender(text: string): boolean {
  return [...text].every((ch) => rows.has(ch));
}

/** Width in pixels of text drawn at this scale (no trailing gap). */
export function textWidth(text: string, scale = 1): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

export interface TextStyle {
  /** Pixel size of one font cell; default 1. */
  readonly scale?: number;
  /** Luma of lit cells; default 235 (video white). */
  readonly value?: number;
  /** Luma of the box behind the text (glyph cells and gaps); omitted: transparent. */
  readonly background?: number;
}

/**
 * Draws one line of text into a luma plane (stride = width) with its top-left corner at
 * (x, y), clipped to the picture. Returns the x just past the text.
 */
export function drawText(luma: Buffer, width: number, height: number, x: number, y: number, text: string, style: TextStyle = {}): number {
  const scale = Math.max(1, Math.floor(style.scale ?? 1));
  const value = style.value ?? 235;
  const chars = [...text];
  if (style.background !== undefined) {
    fillRect(luma, width, height, x - scale, y - scale, textWidth(text, scale) + 2 * scale, (LINE_HEIGHT + 1) * scale, style.background);
  }
  let penX = x;
  for (const ch of chars) {
    const g = glyph(ch);
    for (let r = 0; r < GLYPH_ROWS; r++) {
      const mask = g[r]!;
      if (!mask) continue;
      for (let c = 0; c < GLYPH_WIDTH; c++) {
        if (mask & (1 << (GLYPH_WIDTH - 1 - c))) fillRect(luma, width, height, penX + c * scale, y + r * scale, scale, scale, value);
      }
    }
    penX += ADVANCE * scale;
  }
  return penX - scale;
}

/** Fills a rectangle of a plane (stride = width) with one value, clipped to the plane. */
export function fillRect(plane: Buffer, width: number, height: number, x: number, y: number, w: number, h: number, value: number): void {
  const x0 = Math.max(0, Math.floor(x));
  const x1 = Math.min(width, Math.floor(x + w));
  const y0 = Math.max(0, Math.floor(y));
  const y1 = Math.min(height, Math.floor(y + h));
  if (x1 <= x0) return;
  for (let row = y0; row < y1; row++) plane.fill(value, row * width + x0, row * width + x1);
}
