import { describe, expect, it } from 'vitest';
import { fonts } from '../font/bitmap-font.js';
import { canRender, drawText, fillRect, lineHeight, textWidth } from './bitmap-font.js';

/** Renders a luma plane as '#'/'.' rows for readable expectations. */
function ascii(luma: Buffer, w: number, h: number): string[] {
  const out: string[] = [];
  for (let y = 0; y < h; y++) out.push([...luma.subarray(y * w, (y + 1) * w)].map((v) => (v > 128 ? '#' : '.')).join(''));
  return out;
}

/** The same glyph straight from the shared font data, offset by (dx, dy) in a w × h plane. */
function expected(ch: string, w: number, h: number, dx: number, dy: number): string[] {
  const out = Array.from({ length: h }, () => '.'.repeat(w).split(''));
  fonts.regular.glyph(ch.codePointAt(0)!).forEach((bits, r) => {
    for (let c = 0; c < 8; c++) if (bits & (0x80 >> c)) out[dy + r]![dx + c] = '#';
  });
  return out.map((row) => row.join(''));
}

describe('luma text on the shared glyphs', () => {
  for (const ch of ['4', 'é', '—', '×']) {
    it(`draws "${ch}" pixel for pixel as the 8x16 font has it`, () => {
      const w = 10, h = 18;
      const luma = Buffer.alloc(w * h, 16);
      expect(drawText(luma, w, h, 1, 1, ch)).toBe(9);
      expect(ascii(luma, w, h)).toEqual(expected(ch, w, h, 1, 1));
    });
  }

  it('scales each font pixel to scale × scale pixels', () => {
    const w = 16, h = 32;
    const one = Buffer.alloc(8 * 16, 16);
    drawText(one, 8, 16, 0, 0, 'A');
    const two = Buffer.alloc(w * h, 16);
    drawText(two, w, h, 0, 0, 'A', { scale: 2 });
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(two[y * w + x]).toBe(one[(y >> 1) * 8 + (x >> 1)]);
  });

  it('clips at the picture edges without throwing', () => {
    const luma = Buffer.alloc(10 * 10, 16);
    expect(() => drawText(luma, 10, 10, -7, -3, 'HELLO', { scale: 3, background: 50 })).not.toThrow();
    expect(() => drawText(luma, 10, 10, 8, 8, 'é…', { scale: 2 })).not.toThrow();
    expect(luma.length).toBe(100);
  });

  it('paints the background cells behind the text, and nothing outside them', () => {
    const w = 20, h = 20;
    const luma = Buffer.alloc(w * h, 100);
    drawText(luma, w, h, 2, 2, ' ', { background: 16 });
    expect(luma[2 * w + 2]).toBe(16);
    expect(luma[17 * w + 9]).toBe(16);
    expect(luma[1 * w + 2]).toBe(100);
    expect(luma[18 * w + 10]).toBe(100);
  });

  it('measures text in whole cells', () => {
    expect(textWidth('', 3)).toBe(0);
    expect(textWidth('aé', 3)).toBe(2 * 8 * 3);
    expect(lineHeight(2)).toBe(32);
    expect(lineHeight(1, fonts.small)).toBe(13);
  });

  it('knows what it cannot render', () => {
    expect(canRender('No signal — vérifiez le câble')).toBe(true);
    expect(canRender('☃')).toBe(false);
  });

  it('fillRect clips to the plane', () => {
    const p = Buffer.alloc(4 * 4, 0);
    fillRect(p, 4, 4, -1, 3, 10, 10, 9);
    expect([...p]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9]);
  });
});
