/**
 * ALSA timestamps → the capture clock every frame uses (capture/raw-frame.ts captureClockMs:
 * performance.timeOrigin + performance.now()).
 *
 * opus-pipe asks ALSA for CLOCK_MONOTONIC timestamps (sw_params tstamp_type). Node's
 * performance.now() and process.hrtime() both read uv_hrtime(), which is CLOCK_MONOTONIC on
 * Linux, so captureClockMs() − hrtime is one constant for the life of the process: a
 * monotonic time maps to the capture clock by adding it. Not Date.now(): the wall clock
 * can be stepped by NTP; the capture clock only moves with CLOCK_MONOTONIC.
 */
import { captureClockMs } from '../media/raw-frame.js';

let offsetMs: number | undefined;

/** Measures captureClockMs() − CLOCK_MONOTONIC (ms): the smallest of a few back-to-back reads. */
export function measureMonotonicOffsetMs(samples = 5): number {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < samples; i++) {
    const a = process.hrtime.bigint();
    const c = captureClockMs();
    const b = process.hrtime.bigint();
    const spread = Number(b - a);
    if (spread < best) {
      best = spread;
      offset = c - Number((a + b) / 2n) / 1e6;
    }
  }
  return offset;
}

/** A CLOCK_MONOTONIC time in ms (as opus-pipe reports it) on the capture clock. */
export function monotonicToCaptureClockMs(monotonicMs: number): number {
  offsetMs ??= measureMonotonicOffsetMs();
  return monotonicMs + offsetMs;
}
