import type { BitmapFont } from '../font/bitmap-font.js';
import type { Canvas, Rgb } from './canvas.js';
import { fillRect } from './canvas.js';

/**
 * Text on the cart's RGBA canvas, from the box's bundled glyphs (font/bitmap-font.ts),
 * scaled by whole numbers only so every pixel stays crisp on a 320x240 SPI panel as on
 * a 1280x720 screen.
 */

/** TextStyle is one font at one whole-number scale; bold thickens strokes by one font pixel. */
export interface TextStyle {
  readonly font: BitmapFont;
  readonly scale: number;
  readonly bold?: boolean;
}

/** Width and height in canvas pixels of one character cell. */
export function cellSize(style: TextStyle): { width: number; height: number } {
  return { width: style.font.width * style.scale, height: style.font.height * style.scale };
}

/** Draws one line (no wrapping) with its top-left corner at (x, y). Returns the width drawn. */
export function drawText(canvas: Canvas, text: string, x: number, y: number, style: TextStyle, color: Rgb): number {
  const s = style.scale;
  let penX = x;
  for (const ch of text) {
    const rows = style.font.glyph(ch.codePointAt(0)!);
    for (let row = 0; row < rows.length; row++) {
      let bits = rows[row]!;
      // Synthetic bold: OR each row with itself shifted right by one pixel.
      if (style.bold) bits |= bits >> 1;
      if (!bits) continue;
      // Draw runs of set bits as one rectangle each.
      let col = 0;
      while (col < style.font.width) {
        if (!(bits & (0x80 >> col))) { col++; continue; }
        const start = col;
        while (col < style.font.width && bits & (0x80 >> col)) col++;
        fillRect(canvas, penX + start * s, y + row * s, (col - start) * s, s, color);
      }
    }
    penX += style.font.width * s;
  }
  return penX - x;
}
