import { fixed13, fixed16 } from './font-data.js';

/**
 * BitmapFont is one of the box's bundled glyph sets (font-data.ts: X11 misc-fixed,
 * public domain), 8 pixels wide and monospaced, so layout counts characters. The one
 * renderer (text.ts) scales it by whole numbers only, so every pixel stays crisp.
 */
export interface BitmapFont {
  readonly name: string;
  /** Cell size in font pixels (before scaling); a cell includes its own spacing. */
  readonly width: number;
  readonly height: number;
  /** Rows of the glyph, one byte each, MSB leftmost; a replacement glyph if unknown. */
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

/** True when every character of the text ('\n' aside) has its own glyph in the font. */
export function hasGlyphs(font: BitmapFont, text: string): boolean {
  const fallback = font.glyph(0xfffd);
  for (const ch of text) {
    if (ch === '\n') continue;
    if (font.glyph(ch.codePointAt(0)!) === fallback && ch !== '\ufffd') return false;
  }
  return true;
}
