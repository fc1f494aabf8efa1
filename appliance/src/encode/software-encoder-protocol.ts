/**
 * The framed pipe spoken with appliance/native/x264-pipe (its header comment is the
 * reference). Pure: no I/O, no timers.
 *
 * To the helper, per frame, little-endian, 32 bytes then the I420 picture:
 *   0 u32 magic "SXF1"  4 u32 width  8 u32 height  12 u32 flags (bit 0 FORCE_IDR)
 *   16 u32 seq  20 u32 0  24 f64 captureTimeMs
 * From the helper, per access unit, little-endian, 32 bytes then the payload:
 *   0 u32 magic "SXA1"  4 u32 payload length  8 u32 flags (bit 0 KEYFRAME)
 *   12 u32 seq  16 u32 NAL count  20 u32 0  24 f64 captureTimeMs
 *   payload: NAL units, each behind a 4-byte big-endian length (ISO 14496-15 framing).
 */
import type { AccessUnit } from '../media/access-unit.js';

export const FRAME_MAGIC = 0x31465853;
export const AU_MAGIC = 0x31415853;
export const HEADER_SIZE = 32;
export const FLAG_FORCE_IDR = 1;
export const FLAG_KEYFRAME = 1;

/** The 32-byte header that precedes each I420 picture sent to the helper. */
export function frameHeader(f: { width: number; height: number; seq: number; captureTimeMs: number; forceIdr: boolean }): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  h.writeUInt32LE(FRAME_MAGIC, 0);
  h.writeUInt32LE(f.width, 4);
  h.writeUInt32LE(f.height, 8);
  h.writeUInt32LE(f.forceIdr ? FLAG_FORCE_IDR : 0, 12);
  h.writeUInt32LE(f.seq >>> 0, 16);
  h.writeDoubleLE(f.captureTimeMs, 24);
  return h;
}

/** Splits a payload of 4-byte big-endian length-prefixed NAL units; throws on a bad length. */
export function splitLengthPrefixed(payload: Buffer): Buffer[] {
  const nalus: Buffer[] = [];
  let at = 0;
  while (at < payload.length) {
    if (at + 4 > payload.length) throw new Error(`x264-pipe payload truncated at byte ${at}`);
    const len = payload.readUInt32BE(at);
    if (len === 0 || at + 4 + len > payload.length) throw new Error(`x264-pipe NAL length ${len} at byte ${at} overruns the ${payload.length}-byte payload`);
    nalus.push(payload.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return nalus;
}

/**
 * AccessUnitReader reassembles access units from the helper's stdout, whatever the chunk
 * boundaries. push() returns the units completed by this chunk, in order. An access unit
 * with an empty payload (x264 produced nothing for that frame) is returned with no NALs.
 */
export class AccessUnitReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): AccessUnit[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: AccessUnit[] = [];
    for (;;) {
      if (this.buffered < HEADER_SIZE) break;
      const head = this.peek(HEADER_SIZE);
      if (head.readUInt32LE(0) !== AU_MAGIC) throw new Error('x264-pipe output is out of step (bad access unit magic)');
      const len = head.readUInt32LE(4);
      if (this.buffered < HEADER_SIZE + len) break;
      const whole = this.take(HEADER_SIZE + len);
      // Copy the payload out: subarrays of a concatenated buffer would pin it.
      const payload = Buffer.from(whole.subarray(HEADER_SIZE));
      out.push({
        nalus: splitLengthPrefixed(payload),
        keyframe: (whole.readUInt32LE(8) & FLAG_KEYFRAME) !== 0,
        seq: whole.readUInt32LE(12),
        captureTimeMs: whole.readDoubleLE(24),
      });
    }
    return out;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!.subarray(0, n);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const taken = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return taken;
  }
}
