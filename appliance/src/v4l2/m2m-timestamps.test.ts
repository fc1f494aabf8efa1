import { describe, expect, it } from 'vitest';
import { InFlightFrames } from './m2m-timestamps.js';

describe('InFlightFrames: timestamps tie CAPTURE buffers to frames', () => {
  it('stamps in µs, looks up once, nudges collisions by 1 µs', () => {
    const f = new InFlightFrames();
    const a = f.add({ seq: 1, captureTimeMs: 1_700_000_000_123.4567 });
    const b = f.add({ seq: 2, captureTimeMs: 1_700_000_000_123.4567 });
    expect(a).toBe(1_700_000_000_123_457n);
    expect(b).toBe(a + 1n);
    expect(f.take(b)).toEqual({ seq: 2, captureTimeMs: 1_700_000_000_123.4567 });
    expect(f.take(b)).toBeUndefined();
    expect(f.size).toBe(1);
  });
});
