/**
 * Drawing on an I420 luma plane (stride = width), for the test pattern and the slate:
 * flat rectangles, and the FillRect that font/text.ts draws text with.
 */
import type { FillRect } from '../font/text.js';

/** Fills a rectangle of a plane (stride = width) with one value, clipped to the plane. */
export function fillRect(plane: Buffer, width: number, height: number, x: number, y: number, w: number, h: number, value: number): void {
  const x0 = Math.max(0, Math.floor(x));
  const x1 = Math.min(width, Math.floor(x + w));
  const y0 = Math.max(0, Math.floor(y));
  const y1 = Math.min(height, Math.floor(y + h));
  if (x1 <= x0) return;
  for (let row = y0; row < y1; row++) plane.fill(value, row * width + x0, row * width + x1);
}

/** Text ink on a luma plane: lit font pixels get `value` (235 is video white). */
export function lumaInk(plane: Buffer, width: number, height: number, value = 235): FillRect {
  return (x, y, w, h) => fillRect(plane, width, height, x, y, w, h, value);
}
