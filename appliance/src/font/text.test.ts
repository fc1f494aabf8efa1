import { describe, expect, it } from 'vitest';
import { fonts } from './bitmap-font.js';
import { canRender, cellSize, drawText, textWidth, type FillRect } from './text.js';

/** A w × h surface of '.' that the renderer's fills turn into '#' (clipped). */
function surface(w: number, h: number): { fill: FillRect; rows: () => string[] } {
  const px = Array.from({ length: h }, () => Array<string>(w).fill('.'));
  const fill: FillRect = (x, y, fw, fh) => {
    for (let r = Math.max(0, y); r < Math.min(h, y + fh); r++) for (let c = Math.max(0, x); c < Math.min(w, x + fw); c++) px[r]![c] = '#';
  };
  return { fill, rows: () => px.map((r) => r.join('')) };
}

/** The same glyph straight from the shared font data, offset by (dx, dy), optionally bold. */
function expected(ch: string, w: number, h: number, dx: number, dy: number, bold = false): string[] {
  const out = Array.from({ length: h }, () => '.'.repeat(w).split(''));
  fonts.regular.glyph(ch.codePointAt(0)!).forEach((row, r) => {
    const bits = bold ? row | (row >> 1) : row;
    for (let c = 0; c < 8; c++) if (bits & (0x80 >> c)) out[dy + r]![dx + c] = '#';
  });
  return out.map((row) => row.join(''));
}

describe('drawText: one glyph loop for every surface', () => {
  for (const ch of ['4', 'é', '—', '×']) {
    it(`draws "${ch}" pixel for pixel as the 8x16 font has it, and returns the x past it`, () => {
      const s = surface(10, 18);
      expect(drawText(ch, 1, 1, {}, s.fill)).toBe(9);
      expect(s.rows()).toEqual(expected(ch, 10, 18, 1, 1));
    });
  }

  it('bold ORs each glyph row with itself shifted one font pixel right', () => {
    const s = surface(10, 18);
    drawText('A', 1, 1, { bold: true }, s.fill);
    expect(s.rows()).toEqual(expected('A', 10, 18, 1, 1, true));
  });

  it('scales each font pixel to scale × scale pixels', () => {
    const one = surface(8, 16);
    drawText('A', 0, 0, {}, one.fill);
    const two = surface(16, 32);
    drawText('A', 0, 0, { scale: 2 }, two.fill);
    const a = one.rows();
    two.rows().forEach((row, y) => expect(row).toBe([...a[y >> 1]!].map((c) => c + c).join('')));
  });

  it('fills runs of lit pixels, one fill per run', () => {
    const fills: number[][] = [];
    drawText('-', 0, 0, { font: fonts.regular }, (x, y, w, h) => void fills.push([x, y, w, h]));
    expect(fills.length).toBe(fonts.regular.glyph(0x2d).filter((b) => b !== 0).length);
  });

  it('measures text in whole cells', () => {
    expect(textWidth('', { scale: 3 })).toBe(0);
    expect(textWidth('aé', { scale: 3 })).toBe(2 * 8 * 3);
    expect(cellSize({ scale: 2 }).height).toBe(32);
    expect(cellSize({ font: fonts.small })).toEqual({ width: 8, height: 13 });
    expect(cellSize({ scale: 2.7 }).width).toBe(16); // whole numbers only
  });

  it('knows what it cannot render', () => {
    expect(canRender('No signal — vérifiez le câble')).toBe(true);
    expect(canRender('☃')).toBe(false);
  });
});
