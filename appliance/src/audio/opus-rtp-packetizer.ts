/**
 * RFC 7587 (RTP Payload Format for Opus) on the capture clock. Pure: no I/O, no timers.
 *
 * - One Opus packet per RTP packet, never fragmented or aggregated (§4.2); the payload
 *   is the Opus packet as the encoder made it (RFC 6716 §3), TOC byte first:
 *       0 1 2 3 4 5 6 7
 *      +-+-+-+-+-+-+-+-+
 *      | config  |s| c |   config: mode and frame size, s: stereo, c: frames in the packet
 *      +-+-+-+-+-+-+-+-+
 * - The timestamp runs at 48 kHz whatever the coded bandwidth (§4.1) and is the sampling
 *   instant of the packet's first sample; 20 ms packets advance it by 960.
 * - Payload type: dynamic, chosen by the SDP (rtpmap opus/48000/2, always /2, §7); werift's
 *   sender writes the negotiated one, so it is not set here.
 * - Marker (§4.1 by way of RFC 3551 §4.1): set on the first packet after packets were not
 *   sent contiguously — the first packet of the stream and the first after a gap (the
 *   device came back, samples were lost) — and zero otherwise. There is no DTX, so there
 *   are no other talkspurts.
 * Across a gap the timestamp advances by the gap's length on the capture clock (at least
 * one frame), so the timeline stays true to when the sound was captured; the sender
 * reports (webrtc/sender-report-anchor.ts) map it to that clock.
 */
import { AUDIO_FRAME_SAMPLES, AUDIO_SAMPLE_RATE, type OpusPacket } from './audio-frame.js';
import { randomUint32 } from '../h264/rtp-packetizer.js';

/** Largest Opus packet for one 20 ms frame (RFC 6716 §3.4, R2: 1275 bytes per frame). */
export const MAX_OPUS_FRAME_BYTES = 1275;

/** One Opus packet as an RTP packet's variable fields and payload. */
export interface OpusRtpUnit {
  readonly payload: Buffer;
  /** 48 kHz RTP timestamp. */
  readonly timestamp: number;
  readonly sequenceNumber: number;
  readonly marker: boolean;
  /** Copied from the packet: what the sender report maps `timestamp` to. */
  readonly captureTimeMs: number;
}

/** Samples at 48 kHz one Opus packet decodes to, from its TOC byte (RFC 6716 §3.1, §3.2); undefined if malformed. */
export function opusPacketSamples(packet: Buffer): number | undefined {
  if (packet.length === 0) return undefined;
  const toc = packet[0]!;
  const config = toc >> 3;
  const perFrame =
    config < 12 ? [480, 960, 1920, 2880][config & 3]! // SILK-only: 10, 20, 40, 60 ms
      : config < 16 ? [480, 960][config & 1]! // hybrid: 10, 20 ms
        : [120, 240, 480, 960][config & 3]!; // CELT-only: 2.5, 5, 10, 20 ms
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 1 || code === 2) frames = 2;
  else {
    if (packet.length < 2) return undefined;
    frames = packet[1]! & 0x3f;
  }
  const samples = frames * perFrame;
  return frames === 0 || samples > 5760 ? undefined : samples; // ≤ 120 ms (§3.2.5)
}

export interface OpusRtpPacketizerOptions {
  /** First RTP timestamp; random by default (RFC 3550 §5.1). */
  readonly timestampBase?: number;
  /** First sequence number; random by default. */
  readonly sequenceBase?: number;
}

/** Turns the packets of one audio stream into RTP, in order. */
export class OpusRtpPacketizer {
  private timestamp: number | undefined;
  private lastCaptureMs = 0;
  private sequence: number;
  private readonly base: number;

  constructor(o: OpusRtpPacketizerOptions = {}) {
    this.base = (o.timestampBase ?? randomUint32()) >>> 0;
    this.sequence = (o.sequenceBase ?? randomUint32()) & 0xffff;
  }

  /** The next RTP packet; throws on a packet that is not one 20 ms frame (the encoder is broken). */
  packetize(p: OpusPacket): OpusRtpUnit {
    const samples = opusPacketSamples(p.payload);
    if (samples !== AUDIO_FRAME_SAMPLES) {
      throw new Error(`Opus packet ${p.seq} decodes to ${samples ?? 'an unreadable number of'} samples, not 960 (20 ms): the encoder output is corrupt`);
    }
    if (p.payload.length > MAX_OPUS_FRAME_BYTES) {
      throw new Error(`Opus packet ${p.seq} is ${p.payload.length} bytes, above the ${MAX_OPUS_FRAME_BYTES} an Opus frame can have`);
    }
    const first = this.timestamp === undefined;
    let step = AUDIO_FRAME_SAMPLES;
    if (!first && p.discontinuity) {
      step = Math.max(AUDIO_FRAME_SAMPLES, Math.round(((p.captureTimeMs - this.lastCaptureMs) * AUDIO_SAMPLE_RATE) / 1000));
    }
    this.timestamp = first ? this.base : (this.timestamp! + step) % 2 ** 32;
    this.lastCaptureMs = p.captureTimeMs;
    const unit: OpusRtpUnit = {
      payload: p.payload,
      timestamp: this.timestamp,
      sequenceNumber: this.sequence,
      marker: first || p.discontinuity,
      captureTimeMs: p.captureTimeMs,
    };
    this.sequence = (this.sequence + 1) & 0xffff;
    return unit;
  }
}
