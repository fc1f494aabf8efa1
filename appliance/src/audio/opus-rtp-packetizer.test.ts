import { OpusRtpPayload, RtpHeader, RtpPacket } from 'werift';
import { describe, expect, it } from 'vitest';
import type { OpusPacket } from './audio-frame.js';
import { opusPacketSamples, OpusRtpPacketizer } from './opus-rtp-packetizer.js';

// TOC bytes (RFC 6716 §3.1): config << 3 | stereo << 2 | frame-count code.
const CELT_FB_20MS = 31 << 3; // 0xf8
const packetOf = (toc: number, extra: number[] = [], len = 200): Buffer => {
  const b = Buffer.alloc(len, 0x55);
  b[0] = toc;
  extra.forEach((v, i) => (b[1 + i] = v));
  return b;
};

describe('opusPacketSamples (RFC 6716 TOC)', () => {
  it.each([
    ['CELT fullband 20 ms, one frame (code 0)', packetOf(CELT_FB_20MS), 960],
    ['CELT 20 ms stereo flag', packetOf(CELT_FB_20MS | 4), 960],
    ['SILK wideband 20 ms (config 9)', packetOf(9 << 3), 960],
    ['hybrid fullband 20 ms (config 15)', packetOf(15 << 3), 960],
    ['two CELT 10 ms frames (config 30, code 1)', packetOf((30 << 3) | 1), 960],
    ['four CELT 5 ms frames (config 29, code 3, count 4)', packetOf((29 << 3) | 3, [4]), 960],
    ['SILK 40 ms (config 10)', packetOf(10 << 3), 1920],
    ['CELT 2.5 ms (config 28)', packetOf(28 << 3), 120],
    ['code 3 with a zero frame count', packetOf((29 << 3) | 3, [0]), undefined],
    ['three SILK 60 ms frames (over 120 ms)', packetOf((11 << 3) | 3, [3]), undefined],
    ['code 3 without its count byte', Buffer.from([(29 << 3) | 3]), undefined],
    ['empty', Buffer.alloc(0), undefined],
  ])('%s → %s', (_name, packet, samples) => {
    expect(opusPacketSamples(packet)).toBe(samples);
  });
});

const T0 = 1_764_000_000_000.5;
const pkt = (seq: number, captureTimeMs: number, discontinuity = false, payload = packetOf(CELT_FB_20MS)): OpusPacket => ({
  payload, captureTimeMs, seq, discontinuity, peak: 1000,
});

describe('OpusRtpPacketizer (RFC 7587)', () => {
  it('timestamps +960 per 20 ms frame from the base, sequence +1, marker only on the first packet', () => {
    const p = new OpusRtpPacketizer({ timestampBase: 1000, sequenceBase: 7 });
    // Capture times jitter (a piped source); the timestamps do not: they count samples.
    const units = [0, 21.3, 39.2, 60.4, 80].map((d, i) => p.packetize(pkt(i, T0 + d, i === 0)));
    expect(units.map((u) => u.timestamp)).toEqual([1000, 1960, 2920, 3880, 4840]);
    expect(units.map((u) => u.sequenceNumber)).toEqual([7, 8, 9, 10, 11]);
    expect(units.map((u) => u.marker)).toEqual([true, false, false, false, false]);
    expect(units.map((u) => u.captureTimeMs)).toEqual([0, 21.3, 39.2, 60.4, 80].map((d) => T0 + d));
  });

  it.each([
    ['a 1 s gap (device back)', 1000 + 20, 48_000 + 960],
    ['25 ms after the previous frame', 25, 1200],
    ['10 ms after it (less than a frame): one frame', 10, 960],
    ['a capture clock that stepped back advances one frame', -500, 960],
  ])('after %s: timestamp follows the capture clock and the marker is set', (_name, gapMs, step) => {
    const p = new OpusRtpPacketizer({ timestampBase: 0, sequenceBase: 0 });
    p.packetize(pkt(0, T0));
    const a = p.packetize(pkt(1, T0 + 20));
    const b = p.packetize(pkt(2, T0 + 20 + gapMs, true));
    expect(b.timestamp - a.timestamp).toBe(step);
    expect(b.marker).toBe(true);
    expect(b.sequenceNumber).toBe(2);
    expect(p.packetize(pkt(3, T0 + 40 + gapMs)).marker).toBe(false);
  });

  it('wraps timestamp (2^32) and sequence number (2^16)', () => {
    const p = new OpusRtpPacketizer({ timestampBase: 2 ** 32 - 960, sequenceBase: 0xffff });
    const a = p.packetize(pkt(0, T0));
    const b = p.packetize(pkt(1, T0 + 20));
    expect([a.timestamp, b.timestamp]).toEqual([2 ** 32 - 960, 0]);
    expect([a.sequenceNumber, b.sequenceNumber]).toEqual([0xffff, 0]);
  });

  it('refuses packets that are not one 20 ms frame, or too long for one', () => {
    const p = new OpusRtpPacketizer();
    expect(() => p.packetize(pkt(0, T0, true, packetOf(10 << 3)))).toThrow(/1920 samples, not 960/);
    expect(() => p.packetize(pkt(0, T0, true, packetOf(CELT_FB_20MS, [], 1276)))).toThrow(/1276 bytes/);
  });

  it("round-trips through werift's RtpPacket and OpusRtpPayload unchanged", () => {
    const p = new OpusRtpPacketizer({ timestampBase: 123_456, sequenceBase: 65_530 });
    for (let i = 0; i < 10; i++) {
      const payload = packetOf(CELT_FB_20MS, [i, 2 * i], 150 + i);
      const u = p.packetize(pkt(i, T0 + 20 * i, i === 0, payload));
      const wire = new RtpPacket(new RtpHeader({ payloadType: 111, sequenceNumber: u.sequenceNumber, timestamp: u.timestamp, marker: u.marker, ssrc: 0x1234 }), u.payload).serialize();
      const back = RtpPacket.deSerialize(wire);
      expect(back.header).toMatchObject({ payloadType: 111, sequenceNumber: u.sequenceNumber, timestamp: u.timestamp, marker: i === 0 });
      expect(OpusRtpPayload.deSerialize(back.payload).payload.equals(payload)).toBe(true);
    }
  });
});
