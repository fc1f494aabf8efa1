/**
 * Bounds what one viewer's RTCP can make the box do.
 *
 * NACK (RFC 4585 §6.2.1): werift's RTCRtpSender.handleRtcpPacket resends, for every
 * sequence number a Generic NACK lists, the packet from its 128-entry history
 * (node_modules/werift/lib/webrtc/src/media/rtpSender.js), duplicates included. One
 * 1,200-byte RTCP packet holds ~300 FCI entries, each naming up to 17 packets, so a
 * hostile viewer could make the box resend thousands of packets per RTCP packet. The
 * guard dedupes each NACK and spends a per-viewer token bucket (default 200 resends/s,
 * about half the packet rate of a 3.6 Mbit/s stream: real loss never comes close).
 *
 * REMB (draft-alvestrand-rmcat-remb): the box does not adapt its bitrate to it (one
 * encoder feeds every viewer); werift only stores the number. The guard clamps what it
 * stores to [0, 1 Gbit/s] so nothing downstream ever sees an absurd value; nothing is logged.
 *
 * PLI/FIR need no guard here: they reach the StreamHub, which coalesces keyframe requests
 * to at most one per second (stream/keyframe-request-limiter).
 */
import type { RTCRtpSender } from 'werift';

/** A token bucket over a monotonic clock, pure apart from the clock it is given. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(private readonly perSecond: number, private readonly now: () => number) {
    this.tokens = perSecond;
    this.last = now();
  }

  /** Takes up to `wanted` tokens; returns how many were granted. */
  take(wanted: number): number {
    const t = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
    const granted = Math.max(0, Math.min(wanted, Math.floor(this.tokens)));
    this.tokens -= granted;
    return granted;
  }
}

/** Pure: the distinct sequence numbers of a NACK, in order, at most `budget` of them. */
export function boundNackList(lost: readonly number[], budget: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const seq of lost) {
    if (out.length >= budget) break;
    if (seen.has(seq)) continue;
    seen.add(seq);
    out.push(seq);
  }
  return out;
}

export const MAX_REMB_BPS = 1_000_000_000;

/** Counters per viewer (numbers only). */
export interface RtcpGuardCounters {
  nackRequested: number;
  nackAllowed: number;
}

const GENERIC_NACK = { type: 205, fmt: 1 } as const; // RTPFB, RFC 4585 §6.2.1
const REMB = { type: 206, fmt: 15 } as const; // PSFB, application layer feedback

/** Wraps `sender.handleRtcpPacket` in place; returns live counters. */
export function guardSenderRtcp(sender: RTCRtpSender, options: { nackPerSecond?: number; now?: () => number } = {}): RtcpGuardCounters {
  const bucket = new TokenBucket(options.nackPerSecond ?? 200, options.now ?? (() => performance.now()));
  const counters: RtcpGuardCounters = { nackRequested: 0, nackAllowed: 0 };
  const target = sender as unknown as { handleRtcpPacket(packet: unknown): void };
  if (typeof target.handleRtcpPacket !== 'function') throw new Error('werift RTCRtpSender has no handleRtcpPacket; the RTCP guard needs updating for this werift version');
  const original = target.handleRtcpPacket.bind(sender);
  target.handleRtcpPacket = (packet: unknown): void => {
    const p = packet as { type?: number; feedback?: { count?: number; lost?: number[]; bitrate?: bigint | number } };
    if (p.type === GENERIC_NACK.type && p.feedback?.count === GENERIC_NACK.fmt && Array.isArray(p.feedback.lost)) {
      counters.nackRequested += p.feedback.lost.length;
      const distinct = boundNackList(p.feedback.lost, Number.MAX_SAFE_INTEGER);
      const allowed = distinct.slice(0, bucket.take(distinct.length));
      counters.nackAllowed += allowed.length;
      p.feedback.lost = allowed;
    } else if (p.type === REMB.type && p.feedback?.count === REMB.fmt && p.feedback.bitrate !== undefined) {
      const b = p.feedback.bitrate;
      if (typeof b === 'bigint') p.feedback.bitrate = b < 0n ? 0n : b > BigInt(MAX_REMB_BPS) ? BigInt(MAX_REMB_BPS) : b;
      else p.feedback.bitrate = Math.max(0, Math.min(MAX_REMB_BPS, b));
    }
    original(packet);
  };
  return counters;
}
