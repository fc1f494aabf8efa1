import { describe, expect, it } from 'vitest';
import { ADVANCE, canRender, drawText, glyph, textWidth } from './bitmap-font.js';

/** Renders a luma plane as '#'/'.' rows for readable expectations. */
function ascii(luma: Buffer, w: number, h: number): string[] {
  const out: string[] = [];
  for (let y = 0; y < h; y++) out.push([...luma.subarray(y * w, (y + 1) * w)].map((v) => (v > 128 ? '#' : '.')).join(''));
  return out;
}

describe('bitmap font', () => {
  it('draws a glyph cell for cell at scale 1', () => {
    const w = 7, h = 9;
    const luma = Buffer.alloc(w * h, 16);
    drawText(luma, w, h, 1, 1, '4');
    expect(ascii(luma, w, h)).toEqual([
      '.......',
      '....#..',
      '...##..',
      '..#.#..',
      '.#..#..',
      '.#####.',
      '....#..',
      '....#..',
      '.......',
    ]);
  });

  it('scales each cell to scale × scale pixels', () => {
    const w = 12, h = 16;
    const luma = Buffer.alloc(w * h, 16);
    drawText(luma, w, h, 0, 0, '1', { scale: 2 });
    expect(ascii(luma, w, h).slice(0, 4)).toEqual(['....##......', '....##......', '..####......', '..####......']);
  });

  it('clips at the picture edges without throwing', () => {
    const luma = Buffer.alloc(10 * 10, 16);
    expect(() => drawText(luma, 10, 10, -7, -3, 'HELLO', { scale: 3, background: 50 })).not.toThrow();
    expect(() => drawText(luma, 10, 10, 8, 8, 'é…', { scale: 2 })).not.toThrow();
    expect(luma.length).toBe(100);
  });

  it('paints the background box behind the text', () => {
    const w = 20, h = 12;
    const luma = Buffer.alloc(w * h, 100);
    drawText(luma, w, h, 2, 2, ' ', { background: 16 });
    expect(luma[1 * w + 1]).toBe(16);
    expect(luma[0]).toBe(100);
  });

  const covered: Array<[string, string]> = [
    ['slate English', 'No signal — check the HDMI cable'],
    ['slate French', 'Pas de signal — vérifiez le câble HDMI'],
    ['reconnecting', 'Reconnecting…'],
    ['clock', '23:59:59.999 #000123 1280×720@30'],
    ['French letters', 'é è à ç ù ô î ê â'],
  ];
  for (const [name, text] of covered) it(`has every glyph for ${name}`, () => expect(canRender(text)).toBe(true));

  it('gives distinct glyphs to look-alikes', () => {
    const key = (c: string): string => glyph(c).join(',');
    for (const [a, b] of [['0', 'O'], ['1', 'l'], ['e', 'é'], ['c', 'ç'], ['-', '—']] as const) expect(key(a)).not.toBe(key(b));
  });

  it('measures text width', () => {
    expect(textWidth('', 3)).toBe(0);
    expect(textWidth('ab', 3)).toBe((2 * ADVANCE - 1) * 3);
    expect(canRender('☃')).toBe(false);
  });
});
