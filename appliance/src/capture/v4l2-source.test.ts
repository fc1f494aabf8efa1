import { describe, expect, it } from 'vitest';
import { conditionLine, wallClockOf } from './v4l2-source.js';
import { SourceCondition } from './frame-source.js';

describe('wallClockOf (CLOCK_MONOTONIC buffer timestamp → RawFrame wall clock)', () => {
  it.each([
    { name: 'a frame captured 12.5 ms ago', ts: 1_000_000, mono: 1_012_500, want: 99_987.5 },
    { name: 'a timestamp in the future falls back to now', ts: 2_000_000, mono: 1_000_000, want: 100_000 },
    { name: 'zero (driver sets no timestamp) falls back to now', ts: 0, mono: 5_000_000, want: 100_000 },
  ])('$name', ({ ts, mono, want }) => {
    expect(wallClockOf(ts, mono, 100_000)).toBe(want);
  });
});

describe('conditionLine', () => {
  it.each(Object.values(SourceCondition))('%s says what happened and carries the detail', (c) => {
    const line = conditionLine(c, 'DETAIL');
    expect(line).toContain('DETAIL');
    expect(line.length).toBeGreaterThan(20);
  });
});
