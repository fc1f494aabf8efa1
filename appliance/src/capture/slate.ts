/**
 * The slate: the picture viewers see while the source is not 'live' (after uStreamer's
 * "NO LIVE VIDEO"). Pure: size + condition (+ stamp values) in, a fresh I420 Buffer out.
 * It carries the frame stamp (frame-stamp.ts), so latency tools keep working on it.
 */
import { wrapBalanced } from '../font/wrap-text.js';
import { cellSize, drawText, textWidth } from '../font/text.js';
import { lumaInk } from './luma-plane.js';
import type { SourceCondition } from '../media/source-condition.js';
import { stampBandHeight, writeStamp } from './frame-stamp.js';
import { i420Size } from '../media/raw-frame.js';

/** What the slate says for each condition: a headline and what to do. */
export const slateText: Readonly<Record<SourceCondition, readonly [string, string]>> = {
  'live': ['Live', ''],
  'no-device': ['No capture device', 'Plug in the HDMI capture dongle'],
  'no-signal': ['No signal — check the HDMI cable', 'Is the scanner on and its video output enabled?'],
  'no-sync': ['Signal unstable — check the HDMI cable', 'Reconnecting…'],
  'out-of-range': ['Unsupported video mode', 'Set the scanner output to 1080p or 720p'],
  'error': ['Capture problem', 'Reconnecting…'],
};

const BACKGROUND_Y = 32;

/** Text may use this fraction of the width; the rest is margin. */
const TEXT_FRACTION = 0.9;

export interface SlateOptions {
  /** Frame counter and capture time for the stamp. */
  readonly seq: number;
  readonly timeMs: number;
  /** Replaces the second line (e.g. a translated or more specific hint). */
  readonly hint?: string;
}

/** One line of slate text, placed: top-left corner, whole font scale and luma. */
export interface SlateLine {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly scale: number;
  readonly value: number;
}

/**
 * Largest whole scale (at most maxScale) at which the text fits `room` pixels on one
 * line; at scale 1 a text still too wide is wrapped at spaces into even lines.
 */
function fitLines(text: string, room: number, maxScale: number): { scale: number; lines: string[] } {
  for (let scale = maxScale; scale > 1; scale--) if (textWidth(text, { scale }) <= room) return { scale, lines: [text] };
  return { scale: 1, lines: wrapBalanced(text, Math.max(1, Math.floor(room / textWidth('M')))).lines };
}

/**
 * Where the slate's headline and hint go in a picture: centred, each line as large as
 * fits TEXT_FRACTION of the width (headline up to width/480, hint up to width/800 in
 * whole scales of the 8x16 font), wrapped at scale 1, the block centred vertically but
 * never over the stamp band. Pure; renderSlate draws exactly these lines.
 */
export function slateLayout(width: number, height: number, headline: string, hint: string): SlateLine[] {
  const room = Math.floor(width * TEXT_FRACTION);
  const head = fitLines(headline, room, Math.max(1, Math.round(width / 480)));
  const sub = hint ? fitLines(hint, room, Math.max(1, Math.round(width / 800))) : { scale: 1, lines: [] };
  const gap = cellSize({ scale: head.scale }).height / 2;
  const block = head.lines.length * cellSize({ scale: head.scale }).height + (sub.lines.length ? gap + sub.lines.length * cellSize({ scale: sub.scale }).height : 0);
  let y = Math.max(stampBandHeight(width) + 2 * head.scale, Math.floor((height - block) / 2));
  const out: SlateLine[] = [];
  const place = (lines: readonly string[], scale: number, value: number): void => {
    for (const text of lines) {
      out.push({ text, x: Math.floor((width - textWidth(text, { scale })) / 2), y, scale, value });
      y += cellSize({ scale }).height;
    }
  };
  place(head.lines, head.scale, 235);
  y += gap;
  place(sub.lines, sub.scale, 170);
  return out;
}

/** An I420 slate of the given (even) size for a condition. */
export function renderSlate(width: number, height: number, condition: SourceCondition, options: SlateOptions): Buffer {
  const data = Buffer.alloc(i420Size(width, height), 128);
  data.fill(BACKGROUND_Y, 0, width * height);
  const [headline, defaultHint] = slateText[condition];
  for (const line of slateLayout(width, height, headline, options.hint ?? defaultHint)) {
    drawText(line.text, line.x, line.y, { scale: line.scale }, lumaInk(data, width, height, line.value));
  }
  writeStamp(data, width, height, { seq: options.seq, timeMs: options.timeMs });
  return data;
}
