import { describe, expect, it } from 'vitest';
import { HEADER_SIZE, PACKET_MAGIC, packetMessage, PacketReader, pcmFrameMessage } from './opus-pipe-protocol.js';
import { conditionAfter } from './alsa-audio-source.js';
import { helperEnd } from './opus-pipe-process.js';

const packets = [
  { payload: Buffer.from([0xf8, 1, 2, 3]), captureTimeMs: 1_764_000_000_000.125, seq: 0, discontinuity: true, monotonic: true, peak: 32768 },
  { payload: Buffer.alloc(300, 7), captureTimeMs: 1_764_000_000_020.125, seq: 1, discontinuity: false, monotonic: false, peak: 0 },
  { payload: Buffer.from([0xf8]), captureTimeMs: 5, seq: 0xffffffff, discontinuity: false, monotonic: true, peak: 17 },
];

describe('opus-pipe protocol', () => {
  it('PCM frame header: magic SPF1, 960 samples, channels, flags, seq, f64 time (annotated bytes)', () => {
    const [h, data] = pcmFrameMessage({ channels: 2, data: Buffer.alloc(960 * 4), captureTimeMs: 0.5, seq: 258, discontinuity: true });
    expect(h!.subarray(0, 24).toString('hex')).toBe([
      '53504631', // "SPF1"
      'c0030000', // 960
      '02000000', // channels
      '01000000', // DISCONTINUITY
      '02010000', // seq 258
      '00000000',
    ].join(''));
    expect(h!.readDoubleLE(24)).toBe(0.5);
    expect(data!.length).toBe(3840);
    expect(() => pcmFrameMessage({ channels: 1, data: Buffer.alloc(100), captureTimeMs: 0, seq: 3, discontinuity: false })).toThrow(/frame 3 has 100 bytes, expected 1920/);
  });

  it('PacketReader reassembles packets from any chunking', () => {
    const bytes = Buffer.concat(packets.map(packetMessage));
    for (const size of [1, 7, 32, 33, bytes.length]) {
      const r = new PacketReader();
      const got = [];
      for (let at = 0; at < bytes.length; at += size) got.push(...r.push(bytes.subarray(at, at + size)));
      expect(got, `chunks of ${size}`).toEqual(packets);
    }
  });

  it.each([
    ['bad magic', (b: Buffer) => b.writeUInt32LE(0x12345678, 0), /out of step/],
    ['zero length', (b: Buffer) => b.writeUInt32LE(0, 4), /length 0 is impossible/],
    ['a length over 4000', (b: Buffer) => b.writeUInt32LE(5000, 4), /length 5000/],
  ])('throws on %s', (_n, corrupt, message) => {
    const b = packetMessage(packets[0]!);
    expect(b.readUInt32LE(0)).toBe(PACKET_MAGIC);
    corrupt(b);
    expect(() => new PacketReader().push(b.subarray(0, HEADER_SIZE))).toThrow(message);
  });

  it.each([
    [0, null, 'ended', 'error'], [3, null, 'no-device', 'no-device'], [4, null, 'busy', 'error'], [5, null, 'lost', 'no-device'],
    [6, null, 'stalled', 'error'], [7, null, 'format', 'error'], [2, null, 'failed', 'error'], [null, 'SIGSEGV', 'failed', 'error'],
  ] as const)('exit %s / %s → %s → condition %s', (code, signal, end, condition) => {
    expect(helperEnd(code, signal)).toBe(end);
    expect(conditionAfter(helperEnd(code, signal))).toBe(condition);
  });
});
