/**
 * The test pattern's pictures, as pure functions: a static background rendered once
 * (colour bars, a label, a neutral band for the stamp) and a per-frame pass that copies
 * it into a fresh Buffer and draws the moving parts (a sweeping bar, the wall clock,
 * the frame counter, the frame stamp).
 *
 * Layout at 1280x720 (text is the 8x16 font at whole scales that grow with the width):
 *   y 0–31     frame stamp band (frame-stamp.ts), chroma neutral
 *   y 36–68    "HH:MM:SS.mmm" wall clock (local time) and "#<seq>", white on black (scale 2)
 *   y 72–88    static label "sonobox test pattern 1280×720@30" (scale 1)
 *   top right  the heartbeat marker, y 36–86: a square, white on the one frame per tone
 *              burst of the synthetic heartbeat (media/heartbeat-schedule.ts), else black,
 *              so sound and picture can be lined up by eye and by the bench
 *   next ~1/6  dark strip with a white bar sweeping left to right once per 2 s
 *   the rest   eight 75 % colour bars (BT.601 limited range)
 */
import { randomFillSync } from 'node:crypto';
import { cellSize, drawText, textWidth } from '../font/text.js';
import { fillRect, lumaInk } from './luma-plane.js';
import { writeStamp, stampBandHeight } from './frame-stamp.js';
import { markerBurstForFrame } from '../media/heartbeat-schedule.js';
import { i420Size } from '../media/raw-frame.js';

/** 75 % bars, BT.601 limited range: white, yellow, cyan, green, magenta, red, blue, black. */
const BARS: ReadonlyArray<readonly [number, number, number]> = [
  [180, 128, 128], [162, 44, 142], [131, 156, 44], [112, 72, 58],
  [84, 184, 198], [65, 100, 212], [35, 212, 114], [16, 128, 128],
];
const BACKGROUND_Y = 40;
/** The heartbeat marker's luma: white on a burst's frame, black on the others. */
export const MARKER_ON_Y = 235;
export const MARKER_OFF_Y = 16;
const STRIP_Y = 60;
const SWEEP_PERIOD_MS = 2_000;
const NOISE_POOL = randomFillSync(Buffer.alloc(1 << 20));

export interface TestPatternLayout {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Font scale of the clock and counter. */
  readonly scale: number;
  readonly clockTop: number;
  readonly labelTop: number;
  readonly stripTop: number;
  readonly stripHeight: number;
  readonly barsTop: number;
  /** The heartbeat marker square (even x, y and side). */
  readonly marker: { readonly x: number; readonly y: number; readonly side: number };
  /** Static picture every frame starts from. Never mutated after prepare. */
  readonly background: Buffer;
  /**
   * Luma rectangle refilled with fresh noise every frame, or undefined. Ultrasound is
   * speckle: noise is what makes the encoder spend its whole bitrate, so benchmarks
   * measure the send path at the real ~4 Mbit/s rather than at a static picture's trickle.
   */
  readonly speckle?: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
}

/** Fills a rectangle of an I420 picture with one colour (x, y, w, h even for exact chroma). */
export function fillI420(data: Buffer, width: number, height: number, x: number, y: number, w: number, h: number, yuv: readonly [number, number, number]): void {
  const cw = width / 2, ch = height / 2;
  fillRect(data, width, height, x, y, w, h, yuv[0]);
  const u = data.subarray(width * height, width * height + cw * ch);
  const v = data.subarray(width * height + cw * ch);
  fillRect(u, cw, ch, x / 2, y / 2, w / 2, h / 2, yuv[1]);
  fillRect(v, cw, ch, x / 2, y / 2, w / 2, h / 2, yuv[2]);
}

/** Renders the static parts once for a size. */
export function prepareTestPattern(width: number, height: number, fps: number, speckle = false): TestPatternLayout {
  const background = Buffer.alloc(i420Size(width, height), 128);
  background.fill(BACKGROUND_Y, 0, width * height);
  const scale = clockScale(width);
  const band = stampBandHeight(width);
  const clockTop = band + 2 * scale;
  const labelTop = clockTop + cellSize({ scale }).height + 2 * scale;
  const labelScale = Math.max(1, Math.round(scale / 2));
  const stripTop = even(labelTop + cellSize({ scale: labelScale }).height + 2 * labelScale);
  const stripHeight = even(Math.max(2, Math.round(height / 6)));
  const barsTop = Math.min(height, stripTop + stripHeight);
  drawText(`sonobox test pattern ${width}×${height}@${fps}`, 2 * scale, labelTop, { scale: labelScale }, lumaInk(background, width, height, 180));
  fillI420(background, width, height, 0, stripTop, width, stripHeight, [STRIP_Y, 128, 128]);
  for (let i = 0; i < BARS.length; i++) {
    const x0 = even((i * width) / BARS.length);
    const x1 = even(((i + 1) * width) / BARS.length);
    fillI420(background, width, height, x0, barsTop, x1 - x0, height - barsTop, BARS[i]!);
  }
  // The marker fills the right end of the rows of the clock and the label.
  const side = even(stripTop - clockTop - 2 * scale);
  const marker = { x: even(width - side - 2 * scale), y: even(clockTop), side };
  const layout = { width, height, fps, scale, clockTop, labelTop, stripTop, stripHeight, barsTop, marker, background };
  if (!speckle) return layout;
  const x = even(width / 4);
  const speckleArea = { x, y: barsTop, w: even(width / 2), h: height - barsTop };
  fillI420(background, width, height, speckleArea.x, speckleArea.y, speckleArea.w, speckleArea.h, [128, 128, 128]);
  return { ...layout, speckle: speckleArea };
}

/**
 * Font scale of the clock line: the largest whole scale (at most width / 640, rounded)
 * at which "HH:MM:SS.mmm #000000" and its margins fit the width. Not larger on purpose:
 * at 1280x720 scale 3 makes the first IDR costly enough that x264 at 4 Mbit/s blurs
 * the frame stamp of frame 0 (frame-stamp-chromium.e2e.test.ts reads it back).
 */
export function clockScale(width: number): number {
  let scale = Math.max(1, Math.round(width / 640));
  while (scale > 1 && clockLineWidth(scale) > width) scale--;
  return scale;
}

/** Pixels the clock line covers from x = 0: left margin, clock, gap, counter. */
export function clockLineWidth(scale: number): number {
  return 2 * scale + textWidth('00:00:00.000', { scale }) + 4 * scale + textWidth('#000000', { scale });
}

function even(n: number): number {
  return 2 * Math.floor(n / 2);
}

/** "HH:MM:SS.mmm" in local time. */
export function formatClock(timeMs: number): string {
  const d = new Date(timeMs);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Left edge of the sweeping bar for a capture time: one pass per SWEEP_PERIOD_MS. */
export function sweepX(width: number, barWidth: number, timeMs: number): number {
  const phase = (timeMs % SWEEP_PERIOD_MS) / SWEEP_PERIOD_MS;
  return Math.floor(phase * (width - barWidth));
}

/**
 * One test-pattern picture in a fresh Buffer: the background plus the moving parts for
 * this frame number and capture time. The buffer is never touched again by the pattern.
 */
export function renderTestPattern(layout: TestPatternLayout, seq: number, captureTimeMs: number): Buffer {
  const { width, height, scale } = layout;
  const data = Buffer.allocUnsafe(layout.background.length);
  layout.background.copy(data);
  const barWidth = even(Math.max(2, width / 40));
  fillRect(data, width, height, sweepX(width, barWidth, captureTimeMs), layout.stripTop, barWidth, layout.stripHeight, 235);
  // White on black cells, so the clock and counter read over any content.
  const onBlack = (text: string, at: number): number => {
    fillRect(data, width, height, at, layout.clockTop, textWidth(text, { scale }), cellSize({ scale }).height, 16);
    return drawText(text, at, layout.clockTop, { scale }, lumaInk(data, width, height));
  };
  const x = onBlack(formatClock(captureTimeMs), 2 * scale);
  const { marker } = layout;
  const flash = markerBurstForFrame(captureTimeMs, 1000 / layout.fps) !== undefined;
  fillRect(data, width, height, marker.x, marker.y, marker.side, marker.side, flash ? MARKER_ON_Y : MARKER_OFF_Y);
  onBlack(`#${String(seq).padStart(6, '0')}`, x + 4 * scale);
  const sp = layout.speckle;
  if (sp) {
    // Rows are copied from a pre-made pool of noise at random offsets: to the encoder it
    // is fresh noise every frame, to the CPU a memcpy (generating it would cost more than
    // the send path the benchmark measures).
    for (let row = sp.y; row < sp.y + sp.h; row++) {
      const from = Math.floor(Math.random() * (NOISE_POOL.length - sp.w));
      NOISE_POOL.copy(data, row * width + sp.x, from, from + sp.w);
    }
  }
  writeStamp(data, width, height, { seq, timeMs: captureTimeMs });
  return data;
}
