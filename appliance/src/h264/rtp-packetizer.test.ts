import { describe, expect, it } from 'vitest';
import { H264RtpPayload } from 'werift';
import { packetizeAccessUnit, RtpTimestampClock, type RtpPayloadPacket } from './rtp-packetizer.js';

const SPS = Buffer.from('6742c01fda0140016e84000003000400000300f23c60ca80', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const MTU = 1200;

/** A NAL of `size` bytes with header byte `header` and a recognisable payload. */
function nal(header: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  b[0] = header;
  for (let i = 1; i < size; i++) b[i] = (i * 7 + size) & 0xff;
  return b;
}

/** Depacketizes with werift's RFC 6184 depacketizer into NAL units (start codes removed). */
function depacketize(packets: readonly RtpPayloadPacket[]): Buffer[] {
  const nalus: Buffer[] = [];
  let fragment: Buffer | undefined;
  for (const p of packets) {
    const d = H264RtpPayload.deSerialize(p.payload, fragment);
    fragment = d.fragment;
    if (d.payload) nalus.push(...splitStartCodes(d.payload));
  }
  return nalus;
}
function splitStartCodes(annexB: Buffer): Buffer[] {
  // werift prefixes each NAL with 00 00 00 01; our test NALs never contain 00 00 00 01.
  const out: Buffer[] = [];
  let start = -1;
  for (let i = 0; i + 3 < annexB.length; i++) {
    if (annexB[i] === 0 && annexB[i + 1] === 0 && annexB[i + 2] === 0 && annexB[i + 3] === 1) {
      if (start >= 0) out.push(annexB.subarray(start, i));
      start = i + 4;
      i += 3;
    }
  }
  if (start >= 0) out.push(annexB.subarray(start));
  return out;
}
const kinds = (packets: readonly RtpPayloadPacket[]): string[] =>
  packets.map((p) => ({ 24: 'STAP-A', 28: 'FU-A' })[p.payload[0]! & 0x1f] ?? `NAL${p.payload[0]! & 0x1f}`);

describe('packetizeAccessUnit', () => {
  const cases: { name: string; nalus: Buffer[]; kinds: string[] }[] = [
    { name: '1-byte NAL (end of sequence)', nalus: [Buffer.from([0x0a])], kinds: ['NAL10'] },
    { name: 'NAL of exactly the max payload size', nalus: [nal(0x41, MTU)], kinds: ['NAL1'] },
    { name: 'NAL of max payload size + 1', nalus: [nal(0x41, MTU + 1)], kinds: ['FU-A', 'FU-A'] },
    { name: 'SPS + PPS + small IDR aggregate into one STAP-A', nalus: [SPS, PPS, nal(0x65, 100)], kinds: ['STAP-A'] },
    { name: 'SPS + PPS aggregate, large IDR goes FU-A', nalus: [SPS, PPS, nal(0x65, 3000)], kinds: ['STAP-A', 'FU-A', 'FU-A', 'FU-A'] },
    { name: 'AUD + slice that together fit', nalus: [Buffer.from([0x09, 0xf0]), nal(0x41, 500)], kinds: ['STAP-A'] },
    { name: 'two NALs that do not fit together go single', nalus: [nal(0x41, 700), nal(0x41, 700)], kinds: ['NAL1', 'NAL1'] },
    { name: 'NAL that fits alone but not in a STAP-A with its size field', nalus: [nal(0x41, MTU - 1)], kinds: ['NAL1'] },
  ];
  it.each(cases)('$name', ({ nalus, kinds: want }) => {
    const packets = packetizeAccessUnit(nalus, MTU);
    expect(kinds(packets)).toEqual(want);
    for (const p of packets) expect(p.payload.length).toBeLessThanOrEqual(MTU);
    expect(packets.map((p) => p.marker)).toEqual(packets.map((_, i) => i === packets.length - 1));
    expect(depacketize(packets).map((b) => b.toString('hex'))).toEqual(nalus.map((b) => b.toString('hex')));
  });

  it('round-trips a 200 kB IDR through werift H264RtpPayload', () => {
    const idr = nal(0x65, 200_000);
    const nalus = [SPS, PPS, idr];
    const packets = packetizeAccessUnit(nalus, MTU);
    expect(packets.length).toBe(1 + Math.ceil((200_000 - 1) / (MTU - 2)));
    expect(packets.filter((p) => p.marker)).toHaveLength(1);
    expect(packets.at(-1)!.marker).toBe(true);
    const out = depacketize(packets);
    expect(out).toHaveLength(3);
    expect(out[2]!.equals(idr)).toBe(true);
  });

  it('writes STAP-A bytes per RFC 6184 §5.7.1 (F OR, NRI max, 16-bit sizes)', () => {
    const [p] = packetizeAccessUnit([Buffer.from([0x67, 0xaa]), Buffer.from([0x88 /* F=1 NRI=0 type 8 */, 0xbb])], MTU);
    expect(p!.payload.toString('hex')).toBe('f8' + '0002' + '67aa' + '0002' + '88bb');
  });

  it('writes FU-A headers per RFC 6184 §5.8 (S on first, E on last, type kept, NAL header dropped)', () => {
    const packets = packetizeAccessUnit([Buffer.from([0x65, 1, 2, 3, 4, 5])], 4);
    expect(packets.map((p) => p.payload.toString('hex'))).toEqual(['7c850102', '7c050304', '7c4505']);
  });

  it('honours a configurable payload size', () => {
    const packets = packetizeAccessUnit([nal(0x65, 5000)], 500);
    for (const p of packets) expect(p.payload.length).toBeLessThanOrEqual(500);
  });

  it.each([
    ['an empty NAL', [Buffer.alloc(0)], MTU, /empty NAL/],
    ['a payload size below 3', [nal(0x41, 10)], 2, /at least 3/],
  ] as const)('rejects %s', (_n, nalus, size, re) => {
    expect(() => packetizeAccessUnit(nalus, size)).toThrow(re);
  });

  it('returns nothing for an empty access unit', () => {
    expect(packetizeAccessUnit([])).toEqual([]);
  });
});

describe('RtpTimestampClock', () => {
  it('starts at the base and advances 90 ticks per ms', () => {
    const c = new RtpTimestampClock(1000);
    expect(c.timestampFor(5_000.0)).toBe(1000);
    expect(c.timestampFor(5_033.3333)).toBe(1000 + 3000);
  });
  it('wraps modulo 2^32', () => {
    const c = new RtpTimestampClock(2 ** 32 - 10);
    c.timestampFor(0);
    expect(c.timestampFor(1)).toBe(80);
  });
  it('stays strictly increasing when the capture clock repeats or steps back', () => {
    const c = new RtpTimestampClock(0);
    expect([c.timestampFor(100), c.timestampFor(100), c.timestampFor(50), c.timestampFor(200)]).toEqual([0, 1, 2, 9000]);
  });
  it('uses a random base by default', () => {
    const a = new RtpTimestampClock().timestampFor(0);
    const b = new RtpTimestampClock().timestampFor(0);
    const c = new RtpTimestampClock().timestampFor(0);
    expect(new Set([a, b, c]).size).toBeGreaterThan(1);
  });
});
