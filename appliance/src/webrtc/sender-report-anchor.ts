/**
 * SenderReportAnchor makes a werift RTCRtpSender's RTCP sender reports (RFC 3550 §6.4.1)
 * map NTP ↔ RTP from the capture clock, for audio and video alike, so a browser lines the
 * two tracks of one MediaStream up by when they were captured.
 *
 * What werift 0.25.2 does (media/rtpSender.js, werift issue #701): dispatchRtp() stores
 * `ntpTimestamp = ntpTime()` (the *send* time of the latest packet) and `rtpTimestamp =
 * header.timestamp`, and runRtcp() puts that pair in each SR, 0.5–1.5 s later. Three things
 * are wrong with it for lip sync: the pair ties a capture-clock RTP timestamp to a send
 * time, so each track is shifted by its own capture → send delay (video: the H.264 encode;
 * audio: 20 ms of buffering plus Opus — different, so the tracks drift apart by the
 * difference); the NTP is stale by the time the SR leaves; and ntpTime() writes the
 * decimal digits of the fraction of a second as a binary fraction (utils.js), so the NTP
 * fraction is not a time at all.
 *
 * What this does, per sender, without editing node_modules: the two fields become accessor
 * properties on the instance. werift's writes still land — the RTP timestamp it stamped
 * on the packet (after its own per-sender offset) is kept, its send-time NTP is dropped —
 * and send(packet, captureTimeMs) records, right after werift dispatched the packet, the
 * anchor (that packet's RTP timestamp, its capture time). When runRtcp() reads the fields
 * to build an SR, it gets the SR's own moment t = now on the capture clock and the RTP
 * time of t on the anchor's line: rtp = anchorRtp + (t − anchorCaptureMs) × clockRate —
 * RFC 3550's "RTP timestamp corresponding to the same time as the NTP timestamp", which
 * werift #701 asks for, on the capture clock. t is taken once per synchronous turn, so
 * the SR and werift's own LSR bookkeeping (lastSRtimestamp, for RTT) see the same NTP.
 *
 * Relies on, and is tested against (sender-report-anchor.test.ts), werift 0.25.2:
 * sendRtp() runs dispatchRtp() synchronously up to its first await (pending RTP off, the
 * default), and runRtcp() reads ntpTimestamp, rtpTimestamp, ntpTimestamp in one turn.
 */
import type { RTCRtpSender, RtpPacket } from 'werift';
import { captureClockMs } from '../media/raw-frame.js';
import { unixMsToNtp } from './rtp-header-extensions.js';

/** The pair an SR carries. */
export interface SrMapping {
  readonly ntp: bigint;
  readonly rtp: number;
}

/** Unix ms on the capture clock → 64-bit NTP timestamp (RFC 5905 §6). */
export function ntp64FromUnixMs(unixMs: number): bigint {
  const [seconds, fraction] = unixMsToNtp(unixMs);
  return (BigInt(seconds) << 32n) | BigInt(fraction);
}

/** 64-bit NTP timestamp → Unix ms (for tests and diagnostics). */
export function unixMsFromNtp64(ntp: bigint): number {
  return (Number(ntp >> 32n) - 2_208_988_800) * 1000 + (Number(ntp & 0xffffffffn) / 2 ** 32) * 1000;
}

/** Pure: the SR mapping at capture-clock time `nowMs` for an anchor (RTP timestamp ↔ capture time). */
export function srMapping(anchorRtp: number, anchorCaptureMs: number, clockRate: number, nowMs: number): SrMapping {
  const ticks = Math.round(((nowMs - anchorCaptureMs) * clockRate) / 1000);
  return { ntp: ntp64FromUnixMs(nowMs), rtp: (((anchorRtp + ticks) % 2 ** 32) + 2 ** 32) % 2 ** 32 };
}

interface SenderFields {
  ntpTimestamp: bigint;
  rtpTimestamp: number;
}

export class SenderReportAnchor {
  private written: number | undefined;
  private fresh = false;
  private anchor: { rtp: number; captureMs: number } | undefined;
  private turn: SrMapping | undefined;

  private constructor(
    private readonly sender: RTCRtpSender,
    private readonly clockRate: number,
    private readonly now: () => number,
  ) {}

  /**
   * Takes over `sender`'s SR mapping. `clockRate` is the RTP clock of its codec (90000
   * for H.264, 48000 for Opus); `now` the capture clock (injected by tests).
   */
  static install(sender: RTCRtpSender, clockRate: number, now: () => number = captureClockMs): SenderReportAnchor {
    const a = new SenderReportAnchor(sender, clockRate, now);
    const fields = sender as unknown as SenderFields;
    const before = fields.rtpTimestamp;
    Object.defineProperty(sender, 'rtpTimestamp', {
      configurable: true,
      enumerable: true,
      get: () => a.mapping().rtp,
      set: (v: number) => {
        a.written = v >>> 0;
        a.fresh = true;
      },
    });
    Object.defineProperty(sender, 'ntpTimestamp', {
      configurable: true,
      enumerable: true,
      get: () => a.mapping().ntp,
      set: () => {
        /* werift's send time: replaced by the capture clock (see above) */
      },
    });
    if (before) a.written = before;
    return a;
  }

  /** The anchor in use: the RTP timestamp (as sent) and capture time of the latest packet sent through send(). */
  get current(): { readonly rtp: number; readonly captureMs: number } | undefined {
    return this.anchor;
  }

  /**
   * Sends one packet through werift (RTCRtpSender.sendRtp) and anchors the SR mapping on
   * its capture time (RawFrame/OpusPacket captureTimeMs; every packet of a video frame
   * has the frame's). A packet werift did not dispatch (not connected yet) anchors nothing.
   */
  send(packet: RtpPacket, captureTimeMs: number): Promise<void> {
    const sending = this.sender.sendRtp(packet);
    if (this.fresh && this.written !== undefined) {
      this.anchor = { rtp: this.written, captureMs: captureTimeMs };
      this.fresh = false;
    }
    return sending;
  }

  /** Gives the fields back to werift as plain data (its own behaviour). */
  dispose(): void {
    const value = { ntpTimestamp: this.mapping().ntp, rtpTimestamp: this.mapping().rtp };
    for (const key of ['ntpTimestamp', 'rtpTimestamp'] as const) {
      Object.defineProperty(this.sender, key, { configurable: true, enumerable: true, writable: true, value: value[key] });
    }
  }

  /** The SR pair for this synchronous turn (one "now" for every read of both fields). */
  private mapping(): SrMapping {
    if (this.turn) return this.turn;
    const now = this.now();
    const a = this.anchor;
    this.turn = a
      ? srMapping(a.rtp, a.captureMs, this.clockRate, now)
      : { ntp: ntp64FromUnixMs(now), rtp: this.written ?? 0 }; // nothing sent through send() yet
    queueMicrotask(() => {
      this.turn = undefined;
    });
    return this.turn;
  }
}
