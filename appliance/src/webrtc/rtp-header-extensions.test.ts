import { describe, expect, it } from 'vitest';
import {
  parseAbsCaptureTime,
  parsePlayoutDelay,
  serializeAbsCaptureTime,
  serializePlayoutDelay,
  unixMsToNtp,
} from './rtp-header-extensions.js';

describe('playout-delay', () => {
  it.each([
    ['0/0: render at once (the box default)', 0, 0, '000000'],
    ['10 ms / 20 ms', 10, 20, '001002'],
    ['max 12-bit values (40950 ms)', 40_950, 40_950, 'ffffff'],
    ['min 100 ms, max 1000 ms', 100, 1000, '00a064'],
    ['sub-10 ms rounds up to one unit', 1, 5, '001001'],
  ])('%s', (_n, min, max, hex) => {
    const bytes = serializePlayoutDelay(min, max);
    expect(bytes.toString('hex')).toBe(hex);
    expect(parsePlayoutDelay(bytes)).toEqual({ minMs: Math.ceil(min / 10) * 10, maxMs: Math.ceil(max / 10) * 10 });
  });
  it.each([
    ['negative', -1, 0],
    ['above 12 bits', 0, 40_960],
    ['min above max', 50, 10],
    ['NaN', Number.NaN, 0],
  ])('rejects %s', (_n, min, max) => {
    expect(() => serializePlayoutDelay(min, max)).toThrow(RangeError);
  });
});

describe('abs-capture-time', () => {
  it('maps the Unix epoch to NTP second 2208988800', () => {
    expect(serializeAbsCaptureTime(0).toString('hex')).toBe('83aa7e80' + '00000000');
  });
  it('writes half a second as fraction 0x80000000', () => {
    expect(serializeAbsCaptureTime(1500).toString('hex')).toBe('83aa7e81' + '80000000');
  });
  it('keeps sub-millisecond precision (0.25 ms = 0x00106250 approx)', () => {
    const [, fraction] = unixMsToNtp(0.25);
    expect(fraction).toBe(Math.round(0.00025 * 2 ** 32));
  });
  it('round-trips a realistic capture time within 1 µs', () => {
    const t = 1_767_225_600_123.456;
    expect(Math.abs(parseAbsCaptureTime(serializeAbsCaptureTime(t)) - t)).toBeLessThan(0.001);
  });
  it('is 8 bytes (no clock offset)', () => {
    expect(serializeAbsCaptureTime(Date.now())).toHaveLength(8);
  });
});
