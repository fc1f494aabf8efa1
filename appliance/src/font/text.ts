/**
 * The one text renderer: lines of the box's bundled glyphs (bitmap-font.ts) on any surface
 * that can fill a rectangle — the slate's and test pattern's I420 luma plane
 * (capture/luma-plane.ts), the cart's RGBA canvas (cart/canvas.ts). Fonts are scaled by
 * whole numbers only, so every pixel stays crisp on a 320x240 SPI panel as on a 1080p
 * slate. A character cell is font.width × font.height font pixels and includes its own
 * spacing, so lines and characters abut.
 */
import { fonts, hasGlyphs, type BitmapFont } from './bitmap-font.js';

/** TextStyle is one font at one whole-number scale, optionally bold. */
export interface TextStyle {
  /** Default fonts.regular (8x16). */
  readonly font?: BitmapFont;
  /** Pixel size of one font pixel; default 1. */
  readonly scale?: number;
  /** Synthetic bold: thickens strokes by one font pixel. */
  readonly bold?: boolean;
}

/** Paints one rectangle of lit pixels, in the surface's own colour and clipping. */
export type FillRect = (x: number, y: number, w: number, h: number) => void;

const wholeScale = (scale = 1): number => Math.max(1, Math.floor(scale));
const fontOf = (style: TextStyle): BitmapFont => style.font ?? fonts.regular;

/** Width and height in pixels of one character cell. */
export function cellSize(style: TextStyle = {}): { width: number; height: number } {
  const s = wholeScale(style.scale);
  return { width: fontOf(style).width * s, height: fontOf(style).height * s };
}

/** Width in pixels of one line of text. */
export function textWidth(text: string, style: TextStyle = {}): number {
  return [...text].length * cellSize(style).width;
}

/** True when the font (default 8x16) has a glyph for every character of text. */
export function canRender(text: string, style: TextStyle = {}): boolean {
  return hasGlyphs(fontOf(style), text);
}

/**
 * Draws one line (no wrapping) with its top-left corner at (x, y): each run of lit font
 * pixels in a glyph row becomes one fill. Returns the x just past the text.
 */
export function drawText(text: string, x: number, y: number, style: TextStyle, fill: FillRect): number {
  const font = fontOf(style);
  const s = wholeScale(style.scale);
  let penX = x;
  for (const ch of text) {
    const rows = font.glyph(ch.codePointAt(0)!);
    for (let row = 0; row < rows.length; row++) {
      let bits = rows[row]!;
      // Synthetic bold: OR each row with itself shifted right by one pixel.
      if (style.bold) bits |= bits >> 1;
      if (!bits) continue;
      let col = 0;
      while (col < font.width) {
        if (!(bits & (0x80 >> col))) {
          col++;
          continue;
        }
        const start = col;
        while (col < font.width && bits & (0x80 >> col)) col++;
        fill(penX + start * s, y + row * s, (col - start) * s, s);
      }
    }
    penX += font.width * s;
  }
  return penX;
}
