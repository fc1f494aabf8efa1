import { describe, expect, it } from 'vitest';
import { wallClockOf } from './v4l2-timestamp.js';

const MONO = 0x2000 | 0x1; // TIMESTAMP_MONOTONIC plus an unrelated flag (MAPPED)

describe('wallClockOf (CLOCK_MONOTONIC buffer timestamp → RawFrame wall clock)', () => {
  it.each([
    { name: 'a frame captured 12.5 ms ago', ts: 1_000_000, flags: MONO, mono: 1_012_500, want: 99_987.5 },
    { name: 'a frame that waited 2 s in the queue keeps its age', ts: 1_000_000, flags: MONO, mono: 3_000_000, want: 98_000 },
    { name: 'a timestamp in the future falls back to now', ts: 2_000_000, flags: MONO, mono: 1_000_000, want: 100_000 },
    { name: 'zero from a driver with unknown timestamps falls back to now', ts: 0, flags: 0, mono: 5_000_000, want: 100_000 },
    { name: 'a COPY timestamp (M2M) is not a capture time', ts: 1_000_000, flags: 0x4000, mono: 1_001_000, want: 100_000 },
  ])('$name', ({ ts, flags, mono, want }) => {
    expect(wallClockOf(ts, flags, mono, 100_000)).toBe(want);
  });
});
