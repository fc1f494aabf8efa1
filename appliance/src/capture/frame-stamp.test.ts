import { describe, expect, it } from 'vitest';
import { readStampFromRgba, stampBandHeight, stampReaderSource, writeStamp, type Stamp } from './frame-stamp.js';

/** Luma plane → grey RGBA, resampled (nearest) to outW × outH like a canvas drawImage. */
function toRgba(y: Buffer, w: number, h: number, outW = w, outH = h): Uint8ClampedArray {
  const out = new Uint8ClampedArray(outW * outH * 4);
  for (let j = 0; j < outH; j++) {
    for (let i = 0; i < outW; i++) {
      const sx = Math.min(w - 1, Math.floor(((i + 0.5) * w) / outW));
      const sy = Math.min(h - 1, Math.floor(((j + 0.5) * h) / outH));
      // Limited-range luma to full-range RGB, as a browser does.
      const v = Math.round(((y[sy * w + sx]! - 16) * 255) / 219);
      out.set([v, v, v, 255], (j * outW + i) * 4);
    }
  }
  return out;
}

function stamped(w: number, h: number, s: Stamp): Buffer {
  const y = Buffer.alloc(w * h, 90);
  writeStamp(y, w, h, s);
  return y;
}

const now = 1_732_000_000_123;

describe('frame stamp round trip', () => {
  const cases: Array<{ name: string; w: number; h: number; outW?: number; outH?: number; s: Stamp }> = [
    { name: '720p, intrinsic size', w: 1280, h: 720, s: { seq: 0, timeMs: now } },
    { name: '720p, seq 2^32-1 and the largest 48-bit time', w: 1280, h: 720, s: { seq: 0xffffffff, timeMs: 2 ** 48 - 1 } },
    { name: '720p read on a canvas 1 px narrower', w: 1280, h: 720, outW: 1279, outH: 720, s: { seq: 12345, timeMs: now } },
    { name: '720p read on a canvas 1 px wider and taller', w: 1280, h: 720, outW: 1281, outH: 721, s: { seq: 77, timeMs: now + 1 } },
    { name: '720p read on a half-size canvas', w: 1280, h: 720, outW: 640, outH: 360, s: { seq: 9, timeMs: now } },
    { name: '640x480, cells not a multiple of 16', w: 640, h: 480, s: { seq: 31337, timeMs: now } },
    { name: '1000x562, fractional cell size', w: 1000, h: 562, s: { seq: 4242, timeMs: now } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const rgba = toRgba(stamped(c.w, c.h, c.s), c.w, c.h, c.outW, c.outH);
      expect(readStampFromRgba(rgba, c.outW ?? c.w, c.outH ?? c.h)).toEqual({ seq: c.s.seq, timeMs: Math.floor(c.s.timeMs) });
    });
  }

  it('floors a fractional capture time', () => {
    expect(readStampFromRgba(toRgba(stamped(1280, 720, { seq: 1, timeMs: now + 0.987 }), 1280, 720), 1280, 720)?.timeMs).toBe(now);
  });

  it('rejects a frame with no stamp', () => {
    expect(readStampFromRgba(toRgba(Buffer.alloc(1280 * 720, 200), 1280, 720), 1280, 720)).toBeNull();
  });

  it('rejects a stamp with one flipped data bit (CRC)', () => {
    const y = stamped(1280, 720, { seq: 5, timeMs: now });
    // Cell 20 of row 0 is a seq bit: invert it.
    for (let row = 0; row < 16; row++) for (let x = 320; x < 336; x++) y[row * 1280 + x] = 251 - y[row * 1280 + x]!;
    expect(readStampFromRgba(toRgba(y, 1280, 720), 1280, 720)).toBeNull();
  });

  it('keeps to its band', () => {
    const y = stamped(1280, 720, { seq: 0xffffffff, timeMs: now });
    expect(stampBandHeight(1280)).toBe(32);
    expect(y.subarray(32 * 1280).every((v) => v === 90)).toBe(true);
  });

  it('stampReaderSource works as a standalone function (as page.evaluate ships it)', () => {
    const fn = new Function('return ' + stampReaderSource)() as typeof readStampFromRgba;
    const rgba = toRgba(stamped(1280, 720, { seq: 424242, timeMs: now }), 1280, 720);
    expect(fn(rgba, 1280, 720)).toEqual({ seq: 424242, timeMs: now });
    expect(stampReaderSource).not.toMatch(/__name|require\(|import/);
  });
});
