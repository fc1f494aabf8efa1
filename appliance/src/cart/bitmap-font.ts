import type { Canvas, Rgb } from './canvas.js';
import { fillRect } from './canvas.js';
import { fixed13, fixed16 } from './font-data.js';

/**
 * BitmapFont draws text from glyphs bundled in the repository (font-data.ts: X11
 * misc-fixed, public domain), 8 pixels wide, scaled by whole numbers only so every
 * pixel stays crisp on a 320x240 SPI panel as on a 1280x720 screen. Monospaced, so
 * layout counts characters.
 */
export interface BitmapFont {
  readonly name: string;
  /** Cell size in font pixels (before scaling). */
  readonly width: number;
  readonly height: number;
  /** Rows of the glyph, one byte each, MSB leftmost; a replacement box if unknown. */
  glyph(codePoint: number): Uint8Array;
}

function fontFrom(name: string, data: { width: number; height: number; glyphs: Record<number, string> }): BitmapFont {
  const cache = new Map<number, Uint8Array>();
  for (const [cp, hex] of Object.entries(data.glyphs)) cache.set(Number(cp), Uint8Array.from(Buffer.from(hex, 'hex')));
  const fallback = cache.get(0xfffd) ?? cache.get(0x3f)!;
  return { name, width: data.width, height: data.height, glyph: (cp) => cache.get(cp) ?? fallback };
}

/** The bundled fonts: 8x16 for most text, 8x13 when space is short. */
export const fonts = {
  regular: fontFrom('fixed16', fixed16),
  small: fontFrom('fixed13', fixed13),
} as const;

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

/** True when every character of the text has its own glyph in the font. */
export function hasGlyphs(font: BitmapFont, text: string): boolean {
  const fallback = font.glyph(0xfffd);
  for (const ch of text) {
    if (ch === '\n') continue;
    if (font.glyph(ch.codePointAt(0)!) === fallback && ch !== '\ufffd') return false;
  }
  return true;
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
