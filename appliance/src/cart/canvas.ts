import type { FillRect } from '../font/text.js';

/**
 * Canvas is the off-screen picture every cart screen is drawn into: 8-bit RGBA, rows
 * packed (stride = width * 4). Displays convert it once to the panel's format and copy
 * it in one write, so the panel never shows a half-drawn screen.
 */
export interface Canvas {
  readonly width: number;
  readonly height: number;
  /** width * height * 4 bytes: R, G, B, A per pixel, top row first. */
  readonly data: Uint8Array;
}

/** A colour as 0xRRGGBB. */
export type Rgb = number;

/** Returns a canvas filled with one colour (opaque). */
export function createCanvas(width: number, height: number, background: Rgb = 0x000000): Canvas {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`canvas size must be positive whole numbers (got ${width}x${height})`);
  }
  const canvas: Canvas = { width, height, data: new Uint8Array(width * height * 4) };
  fillRect(canvas, 0, 0, width, height, background);
  return canvas;
}

/** Fills a rectangle, clipped to the canvas. */
export function fillRect(canvas: Canvas, x: number, y: number, w: number, h: number, color: Rgb): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(canvas.width, Math.floor(x + w));
  const y1 = Math.min(canvas.height, Math.floor(y + h));
  if (x1 <= x0 || y1 <= y0) return;
  const r = (color >> 16) & 0xff, g = (color >> 8) & 0xff, b = color & 0xff;
  const d = canvas.data;
  // Fill the first row pixel by pixel, then copy it down: one memcpy per row.
  const rowStart = (y0 * canvas.width + x0) * 4;
  for (let i = rowStart, end = rowStart + (x1 - x0) * 4; i < end; i += 4) {
    d[i] = r; d[i + 1] = g; d[i + 2] = b; d[i + 3] = 255;
  }
  const rowBytes = (x1 - x0) * 4;
  for (let y = y0 + 1; y < y1; y++) {
    d.copyWithin((y * canvas.width + x0) * 4, rowStart, rowStart + rowBytes);
  }
}

/** Text ink on the canvas (font/text.ts drawText): lit font pixels get `color`. */
export function canvasInk(canvas: Canvas, color: Rgb): FillRect {
  return (x, y, w, h) => fillRect(canvas, x, y, w, h, color);
}

/** Reads one pixel back as 0xRRGGBB (tests and the QR check use it). */
export function pixelAt(canvas: Canvas, x: number, y: number): Rgb {
  const i = (y * canvas.width + x) * 4;
  return (canvas.data[i]! << 16) | (canvas.data[i + 1]! << 8) | canvas.data[i + 2]!;
}
