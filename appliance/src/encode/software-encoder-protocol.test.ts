import { describe, expect, it } from 'vitest';
import { AccessUnitReader, AU_MAGIC, frameHeader, HEADER_SIZE, splitLengthPrefixed } from './software-encoder-protocol.js';

/** An access unit as x264-pipe writes it: header + length-prefixed NAL units. */
function auBytes(seq: number, time: number, keyframe: boolean, nalus: Buffer[]): Buffer {
  const payload = Buffer.concat(nalus.flatMap((n) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(n.length);
    return [len, n];
  }));
  const h = Buffer.alloc(HEADER_SIZE);
  h.writeUInt32LE(AU_MAGIC, 0);
  h.writeUInt32LE(payload.length, 4);
  h.writeUInt32LE(keyframe ? 1 : 0, 8);
  h.writeUInt32LE(seq, 12);
  h.writeUInt32LE(nalus.length, 16);
  h.writeDoubleLE(time, 24);
  return Buffer.concat([h, payload]);
}

const sps = Buffer.from([0x67, 0x42, 0xc0, 0x1f, 0xaa]);
const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
const idr = Buffer.from([0x65, 0x88, 0x84, 0x00, 0x33, 0xff]);
const p = Buffer.from([0x41, 0x9a, 0x02]);
const stream = Buffer.concat([auBytes(0, 1000.5, true, [sps, pps, idr]), auBytes(1, 1033.75, false, [p]), auBytes(2, 1067, false, [])]);

describe('AccessUnitReader', () => {
  const split = (sizes: (i: number) => number): Buffer[] => {
    const out: Buffer[] = [];
    for (let at = 0, i = 0; at < stream.length; i++) {
      const n = Math.max(1, sizes(i));
      out.push(stream.subarray(at, at + n));
      at += n;
    }
    return out;
  };
  const cases: Array<[string, Buffer[]]> = [
    ['one byte at a time', split(() => 1)],
    ['all at once', [stream]],
    ['chunks straddling headers (7 bytes)', split(() => 7)],
    ['irregular 31, 33, 2, …', split((i) => [31, 33, 2, 64][i % 4]!)],
  ];
  for (const [name, chunks] of cases) {
    it(name, () => {
      const r = new AccessUnitReader();
      const aus = chunks.flatMap((c) => r.push(c));
      expect(aus).toEqual([
        { seq: 0, captureTimeMs: 1000.5, keyframe: true, nalus: [sps, pps, idr] },
        { seq: 1, captureTimeMs: 1033.75, keyframe: false, nalus: [p] },
        { seq: 2, captureTimeMs: 1067, keyframe: false, nalus: [] },
      ]);
    });
  }

  it('rejects output that is out of step', () => {
    expect(() => new AccessUnitReader().push(Buffer.alloc(40, 0x55))).toThrow(/out of step/);
  });
});

describe('splitLengthPrefixed', () => {
  it('rejects a length that overruns the payload', () => {
    expect(() => splitLengthPrefixed(Buffer.from([0, 0, 0, 9, 1, 2]))).toThrow(/overruns/);
  });
  it('rejects a zero length', () => {
    expect(() => splitLengthPrefixed(Buffer.from([0, 0, 0, 0]))).toThrow(/NAL length 0/);
  });
});

describe('frameHeader', () => {
  it('lays out the 32-byte little-endian header x264-pipe expects', () => {
    const h = frameHeader({ width: 1280, height: 720, seq: 0xfffffffe, captureTimeMs: 1_732_000_000_000.125, forceIdr: true });
    expect(h.toString('latin1', 0, 4)).toBe('SXF1');
    expect([h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12), h.readUInt32LE(16), h.readUInt32LE(20)]).toEqual([1280, 720, 1, 0xfffffffe, 0]);
    expect(h.readDoubleLE(24)).toBe(1_732_000_000_000.125);
    expect(frameHeader({ width: 2, height: 2, seq: 0, captureTimeMs: 0, forceIdr: false }).readUInt32LE(12)).toBe(0);
  });
});
