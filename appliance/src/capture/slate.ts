/**
 * The slate: the picture viewers see while the source is not 'live' (after uStreamer's
 * "NO LIVE VIDEO"). Pure: size + condition (+ stamp values) in, a fresh I420 Buffer out.
 * It carries the frame stamp (frame-stamp.ts), so latency tools keep working on it.
 */
import { drawText, LINE_HEIGHT, textWidth } from './bitmap-font.js';
import type { SourceCondition } from './frame-source.js';
import { stampBandHeight, writeStamp } from './frame-stamp.js';
import { i420Size } from './raw-frame.js';

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

export interface SlateOptions {
  /** Frame counter and capture time for the stamp. */
  readonly seq: number;
  readonly timeMs: number;
  /** Replaces the second line (e.g. a translated or more specific hint). */
  readonly hint?: string;
}

/** Largest whole font scale at which text fits in `fraction` of the width (at least 1). */
function fitScale(text: string, width: number, fraction: number, max: number): number {
  const one = textWidth(text, 1);
  return Math.max(1, Math.min(max, Math.floor((width * fraction) / Math.max(1, one))));
}

/** An I420 slate of the given (even) size for a condition. */
export function renderSlate(width: number, height: number, condition: SourceCondition, options: SlateOptions): Buffer {
  const data = Buffer.alloc(i420Size(width, height), 128);
  data.fill(BACKGROUND_Y, 0, width * height);
  const [headline, defaultHint] = slateText[condition];
  const hint = options.hint ?? defaultHint;
  const maxScale = Math.max(1, Math.round(width / 320));
  const s1 = fitScale(headline, width, 0.9, maxScale);
  const s2 = fitScale(hint, width, 0.9, Math.max(1, Math.round(maxScale * 0.6)));
  const block = LINE_HEIGHT * s1 + (hint ? LINE_HEIGHT * (s2 + 1) : 0);
  const top = Math.max(stampBandHeight(width) + s1, Math.floor((height - block) / 2));
  drawText(data, width, height, Math.floor((width - textWidth(headline, s1)) / 2), top, headline, { scale: s1, value: 235 });
  if (hint) drawText(data, width, height, Math.floor((width - textWidth(hint, s2)) / 2), top + LINE_HEIGHT * (s1 + 1), hint, { scale: s2, value: 170 });
  writeStamp(data, width, height, { seq: options.seq, timeMs: options.timeMs });
  return data;
}
