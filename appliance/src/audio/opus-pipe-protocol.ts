/**
 * The framed pipe spoken with appliance/native/opus-pipe (its header comment is the
 * reference). Pure: no I/O, no timers.
 *
 * To the helper (--stdin), per frame, little-endian, 32 bytes then the samples:
 *   0 u32 magic "SPF1"  4 u32 samples (960)  8 u32 channels  12 u32 flags (bit 0 DISCONTINUITY)
 *   16 u32 seq  20 u32 0  24 f64 captureTimeMs
 * From the helper, per Opus packet, little-endian, 32 bytes then the packet:
 *   0 u32 magic "SOP1"  4 u32 payload length  8 u32 flags (bit 0 DISCONTINUITY, bit 1 MONOTONIC)
 *   12 u32 seq  16 u32 peak  20 u32 0  24 f64 captureTimeMs
 */
import { AUDIO_FRAME_SAMPLES, type OpusPacket, type PcmFrame } from './audio-frame.js';

export const PCM_MAGIC = 0x31465053;
export const PACKET_MAGIC = 0x31504f53;
export const HEADER_SIZE = 32;
export const FLAG_DISCONTINUITY = 1;
export const FLAG_MONOTONIC = 2;
/** Largest Opus packet the helper writes (its MAX_PACKET); a longer length means the stream is out of step. */
export const MAX_PACKET_BYTES = 4000;

/** The 32-byte header plus samples of one PCM frame for the helper's stdin. */
export function pcmFrameMessage(f: PcmFrame): Buffer[] {
  const expected = AUDIO_FRAME_SAMPLES * f.channels * 2;
  if (f.data.length !== expected) {
    throw new Error(`PCM frame ${f.seq} has ${f.data.length} bytes, expected ${expected} (960 samples × ${f.channels} channel(s) × 2)`);
  }
  const h = Buffer.alloc(HEADER_SIZE);
  h.writeUInt32LE(PCM_MAGIC, 0);
  h.writeUInt32LE(AUDIO_FRAME_SAMPLES, 4);
  h.writeUInt32LE(f.channels, 8);
  h.writeUInt32LE(f.discontinuity ? FLAG_DISCONTINUITY : 0, 12);
  h.writeUInt32LE(f.seq >>> 0, 16);
  h.writeDoubleLE(f.captureTimeMs, 24);
  return [h, f.data];
}

/** One packet as the helper framed it; `monotonic` says captureTimeMs is CLOCK_MONOTONIC ms. */
export interface FramedPacket extends OpusPacket {
  readonly monotonic: boolean;
}

/** The header + payload bytes the helper writes for one packet (tests, the --decode input). */
export function packetMessage(p: FramedPacket): Buffer {
  const h = Buffer.alloc(HEADER_SIZE + p.payload.length);
  h.writeUInt32LE(PACKET_MAGIC, 0);
  h.writeUInt32LE(p.payload.length, 4);
  h.writeUInt32LE((p.discontinuity ? FLAG_DISCONTINUITY : 0) | (p.monotonic ? FLAG_MONOTONIC : 0), 8);
  h.writeUInt32LE(p.seq >>> 0, 12);
  h.writeUInt32LE(p.peak, 16);
  h.writeDoubleLE(p.captureTimeMs, 24);
  p.payload.copy(h, HEADER_SIZE);
  return h;
}

/**
 * PacketReader reassembles packets from the helper's stdout, whatever the chunk
 * boundaries. push() returns the packets completed by this chunk, in order, and throws
 * when the stream is out of step (bad magic or an impossible length).
 */
export class PacketReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): FramedPacket[] {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const out: FramedPacket[] = [];
    let at = 0;
    while (this.buffered.length - at >= HEADER_SIZE) {
      const b = this.buffered;
      if (b.readUInt32LE(at) !== PACKET_MAGIC) throw new Error('opus-pipe output is out of step (bad packet magic)');
      const len = b.readUInt32LE(at + 4);
      if (len === 0 || len > MAX_PACKET_BYTES) throw new Error(`opus-pipe packet length ${len} is impossible (1..${MAX_PACKET_BYTES})`);
      if (b.length - at < HEADER_SIZE + len) break;
      const flags = b.readUInt32LE(at + 8);
      out.push({
        // Copied: a subarray would pin the whole concatenated chunk.
        payload: Buffer.from(b.subarray(at + HEADER_SIZE, at + HEADER_SIZE + len)),
        discontinuity: (flags & FLAG_DISCONTINUITY) !== 0,
        monotonic: (flags & FLAG_MONOTONIC) !== 0,
        seq: b.readUInt32LE(at + 12),
        peak: b.readUInt32LE(at + 16),
        captureTimeMs: b.readDoubleLE(at + 24),
      });
      at += HEADER_SIZE + len;
    }
    this.buffered = at === this.buffered.length ? Buffer.alloc(0) : Buffer.from(this.buffered.subarray(at));
    return out;
  }
}
