import { describe, expect, it } from 'vitest';
import { drawText, textWidth, cellSize } from '../font/text.js';
import { fillRect, lumaInk } from './luma-plane.js';

describe('luma plane', () => {
  it('fillRect clips to the plane', () => {
    const p = Buffer.alloc(4 * 4, 0);
    fillRect(p, 4, 4, -1, 3, 10, 10, 9);
    expect([...p]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9]);
  });

  it('text clips at the picture edges without throwing', () => {
    const luma = Buffer.alloc(10 * 10, 16);
    expect(() => drawText('HELLO', -7, -3, { scale: 3 }, lumaInk(luma, 10, 10))).not.toThrow();
    expect(() => drawText('é…', 8, 8, { scale: 2 }, lumaInk(luma, 10, 10))).not.toThrow();
    expect(luma.length).toBe(100);
  });

  it('ink paints lit pixels with its value and leaves the rest alone', () => {
    const w = 8, h = 16;
    const luma = Buffer.alloc(w * h, 100);
    drawText('A', 0, 0, {}, lumaInk(luma, w, h, 200));
    expect(new Set(luma)).toEqual(new Set([100, 200]));
    const blank = Buffer.alloc(w * h, 100);
    drawText(' ', 0, 0, {}, lumaInk(blank, w, h));
    expect(new Set(blank)).toEqual(new Set([100]));
    expect(textWidth(' ')).toBe(cellSize().width);
  });
});
