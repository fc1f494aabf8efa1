import { describe, expect, it } from 'vitest';
import { scheduleStep } from './frame-schedule.js';

describe('scheduleStep (30 fps from t = 1000)', () => {
  const iv = 1000 / 30;
  const cases: Array<{ name: string; now: number; last: number; emit: boolean; tick: number; skipped: number; delay: number }> = [
    { name: 'first tick at start', now: 1000, last: -1, emit: true, tick: 0, skipped: 0, delay: iv },
    { name: 'on time', now: 1000 + iv, last: 0, emit: true, tick: 1, skipped: 0, delay: iv },
    { name: 'woke 1 ms early: nothing due, wait 1 ms', now: 1000 + 2 * iv - 1, last: 1, emit: false, tick: 1, skipped: 0, delay: 1 },
    { name: 'woke 5 ms late: emit, next delay shortened (no drift)', now: 1000 + 2 * iv + 5, last: 1, emit: true, tick: 2, skipped: 0, delay: iv - 5 },
    { name: 'stall of 10 frames: one frame, 9 skipped, no burst', now: 1000 + 12 * iv + 2, last: 2, emit: true, tick: 12, skipped: 9, delay: iv - 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = scheduleStep(1000, iv, c.now, c.last);
      expect({ emit: s.emit, tick: s.tick, skipped: s.skipped }).toEqual({ emit: c.emit, tick: c.tick, skipped: c.skipped });
      expect(s.delayMs).toBeCloseTo(c.delay, 6);
    });
  }
});
