/**
 * RFC 6184 (RTP Payload Format for H.264 Video), packetization-mode=1 (non-interleaved),
 * for one complete access unit at a time. Pure: no I/O, no RTP header state.
 *
 * Three payload structures (§5.2):
 *  - Single NAL unit packet (§5.6): the NAL unit as is, header byte included.
 *  - STAP-A (§5.7.1), type 24: |F|NRI|24| then per NAL: 16-bit size, NAL unit.
 *      F = OR of the aggregated F bits, NRI = max of the aggregated NRIs (§5.7).
 *  - FU-A (§5.8), type 28: FU indicator |F|NRI|28|, FU header |S|E|R|Type|, fragment
 *      of the NAL payload (the NAL header byte itself is not repeated; §5.8).
 *
 * The marker bit is set on the last packet of the access unit (§5.1). All packets of
 * one access unit share one RTP timestamp (§5.1); see RtpTimestampClock.
 *
 * Why not werift's H264Packetizer (node_modules/werift/lib/rtp/src/codec/h264.js): it
 * takes Annex-B or AVCC bytes, not a NAL list (re-serialising costs a copy, and its
 * "auto" format guess reads a 1-byte AVCC NAL as a start code), it aggregates only the
 * leading SPS/PPS (not other small NALs such as AUD or SEI), and it owns the sequence
 * number, which here belongs to the per-viewer sender.
 */
import { randomBytes } from 'node:crypto';

/** One RTP payload and whether it ends the access unit (the RTP marker bit). */
export interface RtpPayloadPacket {
  readonly payload: Buffer;
  readonly marker: boolean;
}

/** Payload bytes per packet by default: fits 1500-byte MTUs with SRTP, extensions and tunnels. */
export const DEFAULT_MAX_PAYLOAD_SIZE = 1200;

const STAP_A = 24;
const FU_A = 28;
const STAP_A_HEADER = 1;
const STAP_A_LENGTH = 2;
const FU_HEADERS = 2;

/**
 * Packetizes one access unit (NAL units without start codes, in decoding order).
 * Consecutive NALs that fit together go into one STAP-A (SPS+PPS, AUD, SEI, small
 * slices); a NAL that fits alone goes as a single NAL unit packet; a larger one is
 * split into FU-A fragments of at most `maxPayloadSize` bytes.
 */
export function packetizeAccessUnit(
  nalus: readonly Buffer[],
  maxPayloadSize: number = DEFAULT_MAX_PAYLOAD_SIZE,
): RtpPayloadPacket[] {
  if (!Number.isInteger(maxPayloadSize) || maxPayloadSize < FU_HEADERS + 1) {
    throw new Error(`maxPayloadSize must be a whole number of at least 3 bytes (got ${maxPayloadSize})`);
  }
  const payloads: Buffer[] = [];
  let group: Buffer[] = [];
  let groupSize = STAP_A_HEADER;

  const flush = (): void => {
    if (group.length === 1) payloads.push(group[0]!);
    else if (group.length > 1) payloads.push(buildStapA(group, groupSize));
    group = [];
    groupSize = STAP_A_HEADER;
  };

  for (const nal of nalus) {
    if (nal.length === 0) throw new Error('empty NAL unit in access unit; the encoder output is corrupt');
    const need = STAP_A_LENGTH + nal.length;
    if (groupSize + need <= maxPayloadSize) {
      group.push(nal);
      groupSize += need;
      continue;
    }
    flush();
    if (STAP_A_HEADER + need <= maxPayloadSize) {
      group.push(nal);
      groupSize += need;
    } else if (nal.length <= maxPayloadSize) {
      payloads.push(nal);
    } else {
      for (const fragment of fragmentFuA(nal, maxPayloadSize)) payloads.push(fragment);
    }
  }
  flush();
  return payloads.map((payload, i) => ({ payload, marker: i === payloads.length - 1 }));
}

function buildStapA(nalus: readonly Buffer[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let f = 0;
  let nri = 0;
  let offset = STAP_A_HEADER;
  for (const nal of nalus) {
    f |= nal[0]! & 0x80;
    nri = Math.max(nri, nal[0]! & 0x60);
    out.writeUInt16BE(nal.length, offset);
    nal.copy(out, offset + STAP_A_LENGTH);
    offset += STAP_A_LENGTH + nal.length;
  }
  out[0] = f | nri | STAP_A;
  return out;
}

function fragmentFuA(nal: Buffer, maxPayloadSize: number): Buffer[] {
  const header = nal[0]!;
  const indicator = (header & 0xe0) | FU_A;
  const type = header & 0x1f;
  const chunk = maxPayloadSize - FU_HEADERS;
  const out: Buffer[] = [];
  for (let offset = 1; offset < nal.length; offset += chunk) {
    const end = Math.min(nal.length, offset + chunk);
    const fragment = Buffer.allocUnsafe(FU_HEADERS + end - offset);
    fragment[0] = indicator;
    fragment[1] = (offset === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | type;
    nal.copy(fragment, FU_HEADERS, offset, end);
    out.push(fragment);
  }
  return out;
}

/** Random 32-bit value for RTP initial timestamps and sequence numbers (RFC 3550 §5.1). */
export function randomUint32(): number {
  return randomBytes(4).readUInt32BE(0);
}

/**
 * Maps capture times (ms, wall clock) to 90 kHz RTP timestamps (RFC 6184 §5.1): a random
 * base per stream, then elapsed capture time × 90, modulo 2^32. Strictly increasing per
 * access unit even if the capture clock steps back, so two frames never share a timestamp.
 */
/** The RTP clock of H.264 video (RFC 6184 §5.1: 90 kHz). */
export const H264_CLOCK_RATE = 90_000;

export class RtpTimestampClock {
  private firstCaptureMs: number | undefined;
  private lastTicks = -1;

  constructor(private readonly base: number = randomUint32()) {}

  timestampFor(captureTimeMs: number): number {
    if (this.firstCaptureMs === undefined) this.firstCaptureMs = captureTimeMs;
    let ticks = Math.round(((captureTimeMs - this.firstCaptureMs) * H264_CLOCK_RATE) / 1000);
    if (ticks <= this.lastTicks) ticks = this.lastTicks + 1;
    this.lastTicks = ticks;
    return (this.base + ticks) % 2 ** 32;
  }
}
