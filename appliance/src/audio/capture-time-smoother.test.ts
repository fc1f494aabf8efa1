import { describe, expect, it } from 'vitest';
import { CaptureTimeSmoother } from './capture-time-smoother.js';

const T0 = 1_764_000_000_000;
/** Deterministic jitter in [−amp, +amp]. */
const jitter = (k: number, amp: number): number => amp * Math.sin(k * 2.39996) * Math.cos(k * 0.7);

describe('CaptureTimeSmoother', () => {
  it('divides ±4 ms of pointer jitter down to well under a millisecond, without bias', () => {
    const s = new CaptureTimeSmoother();
    const errs: number[] = [];
    for (let k = 0; k < 500; k++) {
      const truth = T0 + 20 * k;
      const out = s.next(truth + jitter(k, 4), k === 0);
      if (k >= 100) errs.push(out - truth);
    }
    expect(Math.max(...errs.map(Math.abs))).toBeLessThan(1);
    expect(Math.abs(errs.reduce((a, b) => a + b, 0) / errs.length)).toBeLessThan(0.1);
  });

  it('follows a device clock 200 ppm fast (frames 20.004 ms apart on the capture clock)', () => {
    const s = new CaptureTimeSmoother();
    let out = 0;
    for (let k = 0; k < 3000; k++) out = s.next(T0 + 20.004 * k + jitter(k, 2), k === 0);
    expect(Math.abs(out - (T0 + 20.004 * 2999))).toBeLessThan(0.5);
  });

  it.each([
    ['a discontinuity', (k: number) => T0 + 20 * k + (k >= 10 ? 500 : 0), (k: number) => k === 10],
    ['an error over maxStepMs (samples lost without a flag)', (k: number) => T0 + 20 * k + (k >= 10 ? 100 : 0), () => false],
  ])('re-anchors on the measurement after %s', (_n, measured, disc) => {
    const s = new CaptureTimeSmoother();
    let out = 0;
    for (let k = 0; k <= 10; k++) out = s.next(measured(k), k === 0 || disc(k));
    expect(out).toBe(measured(10));
  });

  it('the first frame, and the first after reset(), is the measurement itself', () => {
    const s = new CaptureTimeSmoother();
    expect(s.next(T0 + 3)).toBe(T0 + 3);
    s.next(T0 + 23);
    s.reset();
    expect(s.next(T0 + 1000.5)).toBe(T0 + 1000.5);
  });
});
