import { fonts } from '../font/bitmap-font.js';
import { cellSize, drawText, type TextStyle } from '../font/text.js';
import { wrapText } from '../font/wrap-text.js';
import { canvasInk, type Canvas, type Rgb } from './canvas.js';

/** A rectangle on the canvas, in pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The result of fitting text into a box: the style chosen and the lines to draw. */
export interface TextLayout {
  readonly style: TextStyle;
  readonly lines: readonly string[];
  /** Pixel size of the laid-out block (lines * line height, widest line). */
  readonly width: number;
  readonly height: number;
  /** Space between lines in pixels. */
  readonly lineGap: number;
  /**
   * True when even the smallest style could not hold the text: words were cut or lines
   * dropped. Screens are tested never to produce this in either language.
   */
  readonly overflow: boolean;
}

export interface FitOptions {
  /** Largest character cell height wanted, in pixels (headlines vs. notes). */
  readonly maxCellHeight?: number;
  /** Smallest scale allowed; 1 by default. */
  readonly minScale?: number;
  readonly bold?: boolean;
}

const chars = (s: string): number => Array.from(s).length;

/** Styles from largest to smallest cell height; the 8x16 font wins ties. */
export function candidateStyles(opts: FitOptions = {}): TextStyle[] {
  const out: TextStyle[] = [];
  const minScale = opts.minScale ?? 1;
  for (let scale = 12; scale >= minScale; scale--) {
    for (const font of [fonts.regular, fonts.small]) {
      const style: TextStyle = { font, scale, bold: opts.bold ?? false };
      if (opts.maxCellHeight !== undefined && cellSize(style).height > opts.maxCellHeight) continue;
      out.push(style);
    }
  }
  return out.sort((a, b) => cellSize(b).height - cellSize(a).height);
}

/** Gap between lines for a style: a quarter of a cell, at least one font pixel. */
export function lineGapOf(style: TextStyle): number {
  return Math.max(style.scale ?? 1, Math.floor(cellSize(style).height / 4));
}

function measure(style: TextStyle, lines: readonly string[]): { width: number; height: number } {
  const cell = cellSize(style);
  const widest = Math.max(0, ...lines.map(chars));
  return { width: widest * cell.width, height: lines.length * cell.height + Math.max(0, lines.length - 1) * lineGapOf(style) };
}

/**
 * Picks the largest style in which the text, wrapped at word boundaries, fits the box
 * (width and height). If none does, uses the smallest style, cuts long words, drops the
 * lines that do not fit and reports overflow.
 */
export function fitText(text: string, box: { width: number; height: number }, opts: FitOptions = {}): TextLayout {
  const styles = candidateStyles(opts);
  const smallest = styles[styles.length - 1] ?? { font: fonts.small, scale: 1 };
  for (const style of styles) {
    const cell = cellSize(style);
    const { lines, fits } = wrapText(text, Math.floor(box.width / cell.width));
    if (!fits) continue;
    const size = measure(style, lines);
    if (size.height <= box.height && size.width <= box.width) {
      return { style, lines, ...size, lineGap: lineGapOf(style), overflow: false };
    }
  }
  const cell = cellSize(smallest);
  const gap = lineGapOf(smallest);
  const { lines } = wrapText(text, Math.max(1, Math.floor(box.width / cell.width)));
  const maxLines = Math.max(1, Math.floor((box.height + gap) / (cell.height + gap)));
  const kept = lines.slice(0, maxLines);
  return { style: smallest, lines: kept, ...measure(smallest, kept), lineGap: gap, overflow: true };
}

export type Align = 'left' | 'center';

/** Draws a layout inside a box, horizontally aligned and vertically centred. */
export function drawLayout(canvas: Canvas, layout: TextLayout, box: Box, color: Rgb, align: Align = 'center'): void {
  const cell = cellSize(layout.style);
  let y = box.y + Math.floor((box.height - layout.height) / 2);
  for (const line of layout.lines) {
    const w = chars(line) * cell.width;
    const x = align === 'center' ? box.x + Math.floor((box.width - w) / 2) : box.x;
    drawText(line, x, y, layout.style, canvasInk(canvas, color));
    y += cell.height + layout.lineGap;
  }
}
