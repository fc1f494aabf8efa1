/**
 * Text in an I420 luma plane (stride = width), for the test pattern and the slate, from
 * the box's bundled glyphs (font/bitmap-font.ts; 8x16 misc-fixed unless a style names
 * another font). A character cell is font.width × font.height font pixels and includes
 * its own spacing, so lines and characters abut; each font pixel is scale × scale.
 */
import type { BitmapFont } from '../font/bitmap-font.js';
import { fonts, hasGlyphs } from '../font/bitmap-font.js';

export interface TextStyle {
  /** Pixel size of one font pixel; default 1. */
  readonly scale?: number;
  /** Luma of lit pixels; default 235 (video white). */
  readonly value?: number;
  /** Luma of the cells behind the text; omitted: transparent. */
  readonly background?: number;
  /** Default fonts.regular (8x16). */
  readonly font?: BitmapFont;
}

const wholeScale = (scale: number): number => Math.max(1, Math.floor(scale));

/** True when the font (default 8x16) has a glyph for every character of text. */
export function canRender(text: string, font: BitmapFont = fonts.regular): boolean {
  return hasGlyphs(font, text);
}

/** Width in pixels of one line of text at this scale. */
export function textWidth(text: string, scale = 1, font: BitmapFont = fonts.regular): number {
  return [...text].length * font.width * wholeScale(scale);
}

/** Height in pixels of one line (one character cell) at this scale. */
export function lineHeight(scale = 1, font: BitmapFont = fonts.regular): number {
  return font.height * wholeScale(scale);
}

/**
 * Draws one line of text with its top-left corner at (x, y), clipped to the picture.
 * Returns the x just past the text.
 */
export function drawText(luma: Buffer, width: number, height: number, x: number, y: number, text: string, style: TextStyle = {}): number {
  const scale = wholeScale(style.scale ?? 1);
  const font = style.font ?? fonts.regular;
  const value = style.value ?? 235;
  if (style.background !== undefined) {
    fillRect(luma, width, height, x, y, textWidth(text, scale, font), lineHeight(scale, font), style.background);
  }
  let penX = x;
  for (const ch of text) {
    const rows = font.glyph(ch.codePointAt(0)!);
    for (let r = 0; r < rows.length; r++) {
      const bits = rows[r]!;
      // Runs of lit pixels become one rectangle each.
      let c = 0;
      while (c < font.width) {
        if (!(bits & (0x80 >> c))) { c++; continue; }
        const start = c;
        while (c < font.width && bits & (0x80 >> c)) c++;
        fillRect(luma, width, height, penX + start * scale, y + r * scale, (c - start) * scale, scale, value);
      }
    }
    penX += font.width * scale;
  }
  return penX;
}

/** Fills a rectangle of a plane (stride = width) with one value, clipped to the plane. */
export function fillRect(plane: Buffer, width: number, height: number, x: number, y: number, w: number, h: number, value: number): void {
  const x0 = Math.max(0, Math.floor(x));
  const x1 = Math.min(width, Math.floor(x + w));
  const y0 = Math.max(0, Math.floor(y));
  const y1 = Math.min(height, Math.floor(y + h));
  if (x1 <= x0) return;
  for (let row = y0; row < y1; row++) plane.fill(value, row * width + x0, row * width + x1);
}
