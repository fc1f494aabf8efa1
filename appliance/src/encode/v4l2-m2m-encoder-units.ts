/**
 * From one dequeued CAPTURE buffer to one AccessUnit. Pure: no I/O. Which RawFrame a
 * buffer encodes is found by its timestamp (v4l2/m2m-timestamps.ts).
 */
import { isIdr, isSlice, splitAnnexB } from '../h264/annex-b.js';
import type { AccessUnit } from '../media/access-unit.js';
import type { M2mCodec } from './v4l2-m2m-encoder-controls.js';

/**
 * The fixed header vicodec puts before every FWHT frame (struct fwht_cframe_hdr in
 * drivers/media/test-drivers/vicodec/codec-fwht.h): magic1 0x4f4f4f4f, magic2 0xffffffff,
 * then big-endian version, width, height, flags, colorspace, xfer_func, ycbcr_enc,
 * quantization, size (of the compressed payload after the 44-byte header).
 */
export interface FwhtHeader {
  readonly version: number;
  readonly width: number;
  readonly height: number;
  readonly flags: number;
  readonly size: number;
  /** V4L2_FWHT_FL_I_FRAME (bit 10): the frame references no other. */
  readonly iFrame: boolean;
}
export const FWHT_HEADER_SIZE = 44;
const FWHT_FL_I_FRAME = 1 << 10;

/** Parses the FWHT header, or undefined when the magic is not there. */
export function parseFwhtHeader(b: Buffer): FwhtHeader | undefined {
  if (b.length < FWHT_HEADER_SIZE || b.readUInt32BE(0) !== 0x4f4f4f4f || b.readUInt32BE(4) !== 0xffffffff) return undefined;
  const flags = b.readUInt32BE(20);
  return { version: b.readUInt32BE(8), width: b.readUInt32BE(12), height: b.readUInt32BE(16), flags, size: b.readUInt32BE(40), iFrame: (flags & FWHT_FL_I_FRAME) !== 0 };
}

/**
 * What one CAPTURE buffer holds. H.264: its NAL units; 'headers' when there is no slice
 * in it (some encoders, bcm2835-codec among them, return SPS/PPS in a buffer of their own
 * before the first IDR: those belong in front of the next picture and must not consume
 * that picture's timestamp). FWHT: the whole frame as one opaque unit.
 */
export function classifyPayload(codec: M2mCodec, payload: Buffer): { kind: 'picture' | 'headers' | 'empty'; nalus: Buffer[]; keyframe: boolean } {
  if (payload.length === 0) return { kind: 'empty', nalus: [], keyframe: false };
  if (codec === 'fwht') return { kind: 'picture', nalus: [Buffer.from(payload)], keyframe: parseFwhtHeader(payload)?.iFrame ?? false };
  // Copies: `payload` is mmap'd driver memory that is requeued as soon as this returns.
  const nalus = splitAnnexB(payload).map((n) => Buffer.from(n));
  if (nalus.length === 0) return { kind: 'empty', nalus, keyframe: false };
  if (!nalus.some(isSlice)) return { kind: 'headers', nalus, keyframe: false };
  return { kind: 'picture', nalus, keyframe: nalus.some(isIdr) };
}

/**
 * One CAPTURE buffer's payload as an AccessUnit, with any parameter sets held back from a
 * headers-only buffer in front. H.264: a keyframe when it holds an IDR slice. FWHT: when
 * its header says I-frame. Undefined when the buffer holds no picture.
 */
export function toAccessUnit(codec: M2mCodec, payload: Buffer, meta: { seq: number; captureTimeMs: number }, heldHeaders: readonly Buffer[] = []): AccessUnit | undefined {
  const c = classifyPayload(codec, payload);
  if (c.kind !== 'picture') return undefined;
  return { nalus: [...heldHeaders, ...c.nalus], keyframe: c.keyframe, seq: meta.seq, captureTimeMs: meta.captureTimeMs };
}
