import { describe, expect, it } from 'vitest';
import { readStampFromRgba, stampBandHeight } from './frame-stamp.js';
import { cellSize, textWidth } from '../font/text.js';
import { HEARTBEAT, markerBurstForFrame } from '../media/heartbeat-schedule.js';
import { clockLineWidth, formatClock, MARKER_OFF_Y, MARKER_ON_Y, prepareTestPattern, renderTestPattern, sweepX } from './test-pattern.js';

/** I420 → RGBA with BT.601 limited range, like a browser would show it. */
function i420ToRgba(data: Buffer, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  const u0 = w * h, v0 = u0 + (w / 2) * (h / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = (y >> 1) * (w / 2) + (x >> 1);
      const Y = 1.164 * (data[y * w + x]! - 16), U = data[u0 + c]! - 128, V = data[v0 + c]! - 128;
      out.set([Y + 1.596 * V, Y - 0.392 * U - 0.813 * V, Y + 2.017 * U, 255], (y * w + x) * 4);
    }
  }
  return out;
}

describe('test pattern pictures', () => {
  const layout = prepareTestPattern(1280, 720, 30);
  const t = new Date(2025, 0, 2, 13, 4, 5, 678).getTime();

  it('carries a readable stamp with seq and floored capture time', () => {
    const f = renderTestPattern(layout, 4242, t + 0.6);
    expect(readStampFromRgba(i420ToRgba(f, 1280, 720), 1280, 720)).toEqual({ seq: 4242, timeMs: t });
  });

  it('formats the wall clock as HH:MM:SS.mmm', () => {
    expect(formatClock(t)).toBe('13:04:05.678');
  });

  it('moves: the sweep bar and the clock differ between frames 0.5 s apart', () => {
    const a = renderTestPattern(layout, 0, t);
    const b = renderTestPattern(layout, 15, t + 500);
    expect(sweepX(1280, 32, t)).not.toBe(sweepX(1280, 32, t + 500));
    const strip = (f: Buffer): Buffer => f.subarray(layout.stripTop * 1280 + 640 * 0, (layout.stripTop + 1) * 1280);
    expect(strip(a).equals(strip(b))).toBe(false);
    const clockRows = (f: Buffer): Buffer => f.subarray(layout.clockTop * 1280, layout.labelTop * 1280);
    expect(clockRows(a).equals(clockRows(b))).toBe(false);
    // Bars and label are static.
    expect(a.subarray(layout.barsTop * 1280, 720 * 1280).equals(b.subarray(layout.barsTop * 1280, 720 * 1280))).toBe(true);
  });

  it('returns a fresh buffer each frame and never mutates the background', () => {
    const before = Buffer.from(layout.background);
    const a = renderTestPattern(layout, 1, t);
    const b = renderTestPattern(layout, 2, t + 33);
    expect(a).not.toBe(b);
    expect(a.buffer).not.toBe(b.buffer);
    expect(layout.background.equals(before)).toBe(true);
    expect(a.length).toBe(1280 * 720 * 1.5);
  });

  it('draws 75 % colour bars: yellow then cyan chroma at the bottom', () => {
    const f = renderTestPattern(layout, 0, t);
    const u = (x: number, y: number): number => f[1280 * 720 + (y >> 1) * 640 + (x >> 1)]!;
    expect(u(160 + 80, 700)).toBe(44); // yellow U
    expect(u(320 + 80, 700)).toBe(156); // cyan U
    expect(u(640, 10)).toBe(128); // stamp band chroma neutral
  });

  it('renders a 720p frame in a few ms (prints the measurement)', () => {
    const n = 60;
    for (let i = 0; i < 5; i++) renderTestPattern(layout, i, t); // warm up
    const start = performance.now();
    for (let i = 0; i < n; i++) renderTestPattern(layout, i, t + i * 33.3);
    const msPerFrame = (performance.now() - start) / n;
    console.log(`test pattern 1280x720: ${msPerFrame.toFixed(2)} ms/frame`);
    expect(msPerFrame).toBeLessThan(15);
  });

  it('works at small and odd-multiple sizes', () => {
    for (const [w, h] of [[320, 240], [640, 360], [1920, 1080]] as const) {
      const l = prepareTestPattern(w, h, 25);
      const f = renderTestPattern(l, 7, t);
      expect(readStampFromRgba(i420ToRgba(f, w, h), w, h)).toEqual({ seq: 7, timeMs: t });
    }
  });
});

describe('the heartbeat marker', () => {
  const layout = prepareTestPattern(1280, 720, 30);
  const { x, y, side } = layout.marker;
  const markerLuma = (f: Buffer): number[] => [f[y * 1280 + x]!, f[(y + side - 1) * 1280 + x + side - 1]!, f[(y + side / 2) * 1280 + x + side / 2]!];
  const T = 1_764_000_000_000; // a burst starts here (a multiple of 500 ms)

  it.each([
    ['the frame captured on the burst start', 0, MARKER_ON_Y],
    ['the frame 16 ms before it (within half of 33.3 ms)', -16, MARKER_ON_Y],
    ['the frame 16.6 ms after it', 16.6, MARKER_ON_Y],
    ['the frame one interval later', 33.4, MARKER_OFF_Y],
    ['a frame between bursts', 250, MARKER_OFF_Y],
  ])('%s: %s', (_n, offsetMs, luma) => {
    expect(markerLuma(renderTestPattern(layout, 1, T + offsetMs))).toEqual([luma, luma, luma]);
  });

  it('flashes on exactly the frames markerBurstForFrame names: once per burst, twice a second at 30 fps', () => {
    let flashes = 0;
    for (let k = 0; k < 60; k++) {
      const t = T + 7.3 + (k * 1000) / 30;
      const on = markerLuma(renderTestPattern(layout, k, t))[0] === MARKER_ON_Y;
      expect(on).toBe(markerBurstForFrame(t, 1000 / 30) !== undefined);
      if (on) flashes++;
    }
    expect(flashes).toBe(2000 / HEARTBEAT.periodMs);
  });

  it('sits right of the clock line and above the strip, at every size', () => {
    for (const [w, h] of [[320, 240], [640, 360], [1280, 720], [1920, 1080]] as const) {
      const l = prepareTestPattern(w, h, 30);
      expect(l.marker.side).toBeGreaterThanOrEqual(16);
      expect(l.marker.x).toBeGreaterThanOrEqual(clockLineWidth(l.scale));
      const labelScale = Math.max(1, Math.round(l.scale / 2));
      expect(l.marker.x).toBeGreaterThanOrEqual(2 * l.scale + textWidth(`sonobox test pattern ${w}×${h}@30`, { scale: labelScale }));
      expect(l.marker.x + l.marker.side).toBeLessThanOrEqual(w);
      expect(l.marker.y).toBeGreaterThanOrEqual(stampBandHeight(w));
      expect(l.marker.y + l.marker.side).toBeLessThanOrEqual(l.stripTop);
    }
  });
});

describe('test pattern text fits', () => {
  for (const [w, h] of [[320, 240], [640, 360], [640, 480], [720, 576], [1280, 720], [1920, 1080]] as const) {
    it(`${w}x${h}: clock line and label inside the width, between the stamp band and the strip`, () => {
      const l = prepareTestPattern(w, h, 30);
      const labelScale = Math.max(1, Math.round(l.scale / 2));
      expect(clockLineWidth(l.scale)).toBeLessThanOrEqual(w);
      expect(2 * l.scale + textWidth(`sonobox test pattern ${w}×${h}@30`, { scale: labelScale })).toBeLessThanOrEqual(w);
      expect(l.clockTop).toBeGreaterThanOrEqual(stampBandHeight(w));
      expect(l.clockTop + cellSize({ scale: l.scale }).height).toBeLessThanOrEqual(l.labelTop);
      expect(l.labelTop + cellSize({ scale: labelScale }).height).toBeLessThanOrEqual(l.stripTop);
      expect(l.barsTop).toBeLessThan(h);
    });
  }
});

describe('speckle (ultrasound-like noise for realistic bitrates)', () => {
  it('refills its area with different noise every frame and leaves the bars outside it alone', () => {
    const layout = prepareTestPattern(640, 360, 30, true);
    const sp = layout.speckle!;
    const a = renderTestPattern(layout, 0, 1_000);
    const b = renderTestPattern(layout, 1, 1_000);
    const rowOf = (buf: Buffer, y: number, x: number, w: number): Buffer => buf.subarray(y * 640 + x, y * 640 + x + w);
    const mid = sp.y + Math.floor(sp.h / 2);
    expect(rowOf(a, mid, sp.x, sp.w).equals(rowOf(b, mid, sp.x, sp.w))).toBe(false);
    expect(rowOf(a, mid, 0, sp.x).equals(rowOf(b, mid, 0, sp.x))).toBe(true);
    expect(prepareTestPattern(640, 360, 30).speckle).toBeUndefined();
  });
});
