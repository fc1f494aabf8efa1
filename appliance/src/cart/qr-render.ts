import QRCode from 'qrcode';
import type { Canvas, Rgb } from './canvas.js';
import { fillRect } from './canvas.js';
import type { Box } from './text-layout.js';

/** The quiet zone ISO/IEC 18004 §6.3.8 requires around a QR symbol, in modules. */
export const quietZoneModules = 4;

/** A QR symbol's modules: size x size, true = dark. */
export interface QrMatrix {
  readonly size: number;
  readonly version: number;
  isDark(x: number, y: number): boolean;
}

/** Encodes text as a QR symbol at error-correction level M (the `qrcode` package only builds the matrix). */
export function qrMatrix(text: string): QrMatrix {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const { size, data } = qr.modules;
  return { size, version: qr.version, isDark: (x, y) => data[y * size + x] === 1 };
}

/** Where a QR symbol landed: its outer square (quiet zone included) and module size. */
export interface QrPlacement {
  readonly x: number;
  readonly y: number;
  /** Side of the whole square including the quiet zone, in pixels. */
  readonly side: number;
  readonly moduleSize: number;
}

/**
 * Computes the largest whole-number module size at which the symbol plus its 4-module
 * quiet zone fits the box, centred in it. Returns undefined if not even 1 px fits.
 */
export function placeQr(matrixSize: number, box: Box): QrPlacement | undefined {
  const modules = matrixSize + 2 * quietZoneModules;
  const moduleSize = Math.floor(Math.min(box.width, box.height) / modules);
  if (moduleSize < 1) return undefined;
  const side = modules * moduleSize;
  return {
    x: box.x + Math.floor((box.width - side) / 2),
    y: box.y + Math.floor((box.height - side) / 2),
    side,
    moduleSize,
  };
}

/**
 * Draws the link as the largest QR code that fits the box: light quiet zone, dark
 * modules, whole-pixel modules so every edge is sharp for the phone's camera.
 */
export function drawQr(canvas: Canvas, text: string, box: Box, dark: Rgb = 0x000000, light: Rgb = 0xffffff): QrPlacement {
  const m = qrMatrix(text);
  const p = placeQr(m.size, box);
  if (!p) throw new Error(`a ${m.size}-module QR code cannot fit in ${box.width}x${box.height} pixels`);
  fillRect(canvas, p.x, p.y, p.side, p.side, light);
  const origin = quietZoneModules * p.moduleSize;
  for (let y = 0; y < m.size; y++) {
    for (let x = 0; x < m.size; x++) {
      if (m.isDark(x, y)) fillRect(canvas, p.x + origin + x * p.moduleSize, p.y + origin + y * p.moduleSize, p.moduleSize, p.moduleSize, dark);
    }
  }
  return p;
}
