/**
 * WeriftViewer is one viewer's werift RTCPeerConnection after the answer: its lifecycle
 * (viewer-lifecycle.ts) driven by werift's connection state, the timers that close a
 * viewer that never connects, stays disconnected or falls silent, keyframe requests
 * (PLI, FIR) sent back to the hub, and writing the hub's units to its sender.
 *
 * Media flows once the connection is `connected` and attach() was called, from the next
 * IDR (the hub requests one); the sound (when the box has it) from the next Opus packet.
 * Packets go straight to RTCRtpSender.sendRtp through each sender's SenderReportAnchor:
 * one clone per packet per viewer (rtpSender.js dispatchRtp) instead of three through
 * track.writeRtp, and both tracks' sender reports map NTP ↔ RTP on the capture clock, so
 * the browser lines sound and picture up by when they were captured (werift #701).
 */
import type { RTCPeerConnection, RTCRtpSender } from 'werift';
import type { OpusRtpUnit } from '../audio/opus-rtp-packetizer.js';
import { AUDIO_SAMPLE_RATE } from '../audio/audio-frame.js';
import type { AudioHub } from '../stream/audio-hub.js';
import type { ReaderHandle, StreamHub, StreamUnit } from '../stream/stream-hub.js';
import { H264_CLOCK_RATE } from '../h264/rtp-packetizer.js';
import { SenderReportAnchor } from './sender-report-anchor.js';
import type { GuardCounters } from './ice-datagram-guard.js';
import type { ExtensionPlan, PacketCache } from './packet-cache.js';
import { guardSenderRtcp, type RtcpGuardCounters } from './rtcp-guard.js';
import { watchSrtcpLiveness } from './srtcp-liveness.js';
import { ViewerState, type ViewerConnection } from './viewer-connection.js';
import { newViewerId, newViewerLogName, viewerTransition, type ViewerEvent } from './viewer-lifecycle.js';

/** What a viewer needs from the factory's options. */
export interface WeriftViewerOptions {
  readonly hub: StreamHub;
  /** The sound, when the box has it: offered audio sections are answered sendonly. */
  readonly audio?: AudioHub;
  /** Opus packets one viewer may have in flight before newer ones are dropped (counted); default 10 (200 ms). */
  readonly audioInFlight?: number;
  /** A connection that stays `disconnected` this long is closed; default 5000 ms. */
  readonly disconnectedTimeoutMs?: number;
  /** A connection not `connected` this long after the answer is closed; default 30000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * A connected viewer that sends no RTCP (receiver reports come every ~1 s) this long is
   * closed; default 10000 ms. werift itself notices a vanished peer only when ICE consent
   * expires (~30 s measured here), and a viewer that vanished still holds a session slot.
   */
  readonly rtcpSilenceTimeoutMs?: number;
  /** NACK-driven resends per viewer per second (token bucket); default 200. */
  readonly nackRetransmitsPerSecond?: number;
  /** One line per viewer event (ids and states only, never addresses). */
  readonly log?: (line: string) => void;
}

export class WeriftViewer implements ViewerConnection {
  readonly id = newViewerId();
  /** What the log calls this viewer (never the id). */
  readonly logName = newViewerLogName();
  private stateValue: ViewerState = ViewerState.connecting;
  private attached = false;
  private handle: ReaderHandle | undefined;
  private listeners: ((reason: string) => void)[] = [];
  private closeReason: string | undefined;
  private closing: Promise<void> | undefined;
  private disconnectedTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private silenceTimer: NodeJS.Timeout | undefined;
  private lastRtcpMs = performance.now();
  private readonly unsubscribe: (() => void)[] = [];
  /** Next sequence number / last timestamp this viewer sent, to hide hub-side gaps. */
  private expectedSeq: number | undefined;
  private lastTimestamp: number | undefined;
  /** What the RTCP guard let through (numbers only; for tests and status). */
  readonly rtcpCounters: RtcpGuardCounters;
  private readonly sender: RTCRtpSender;
  private readonly videoAnchor: SenderReportAnchor;
  private readonly audioAnchor: SenderReportAnchor | undefined;
  private leaveAudio: (() => void) | undefined;
  private audioInFlight = 0;
  /** Opus packets this viewer dropped because its sends fell behind. */
  audioDropped = 0;

  /** When the viewer was last heard in a way nobody else can fake (srtcp-liveness.ts). */
  readonly lastAuthenticatedRtcpAt: () => number | null;

  constructor(
    private readonly pc: RTCPeerConnection,
    senders: { readonly video: RTCRtpSender; readonly audio?: RTCRtpSender | undefined },
    private readonly plan: ExtensionPlan,
    private readonly packets: PacketCache,
    private readonly options: WeriftViewerOptions,
    /** Datagrams the ICE guard dropped (numbers only). */
    readonly datagramCounters: GuardCounters,
  ) {
    const sender = (this.sender = senders.video);
    // One DTLS transport carries every m-section (the offer check demands BUNDLE).
    this.lastAuthenticatedRtcpAt = watchSrtcpLiveness(sender.dtlsTransport, () => performance.now());
    this.videoAnchor = SenderReportAnchor.install(sender, H264_CLOCK_RATE);
    this.audioAnchor = senders.audio ? SenderReportAnchor.install(senders.audio, AUDIO_SAMPLE_RATE) : undefined;
    this.rtcpCounters = guardSenderRtcp(sender, { nackPerSecond: options.nackRetransmitsPerSecond });
    // The same bounds on what the viewer's RTCP can make the audio sender resend (werift
    // resends from its history whatever feedback was negotiated). Counted apart: not reported.
    if (senders.audio) guardSenderRtcp(senders.audio, { nackPerSecond: 50 });
    this.unsubscribe.push(
      pc.connectionStateChange.subscribe((s) => this.onConnectionState(s)).unSubscribe,
      sender.onPictureLossIndication.subscribe(() => this.handle?.requestKeyframe()).unSubscribe,
      sender.onRtcp.subscribe((packet) => {
        this.lastRtcpMs = performance.now();
        // FIR (RFC 5104 §4.3.1, PSFB FMT 4): werift parses it but raises no event for it.
        const p = packet as { type?: number; feedback?: { count?: number } };
        if (p.type === 206 && p.feedback?.count === 4) this.handle?.requestKeyframe();
      }).unSubscribe,
    );
    this.connectTimer = setTimeout(() => {
      void this.close(`connection not established within ${(options.connectTimeoutMs ?? 30_000) / 1000} s`);
    }, options.connectTimeoutMs ?? 30_000);
    this.connectTimer.unref();
  }

  get state(): ViewerState {
    return this.stateValue;
  }

  onClosed(listener: (reason: string) => void): void {
    if (this.closeReason !== undefined) {
      const reason = this.closeReason;
      queueMicrotask(() => listener(reason));
      return;
    }
    this.listeners.push(listener);
  }

  attach(): void {
    if (this.attached || this.stateValue === ViewerState.closed) return;
    this.attached = true;
    if (this.stateValue === ViewerState.connected) this.join();
  }

  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    this.stateValue = ViewerState.closed;
    this.closeReason = reason;
    this.handle?.remove();
    this.handle = undefined;
    this.leaveAudio?.();
    this.leaveAudio = undefined;
    clearTimeout(this.disconnectedTimer);
    clearTimeout(this.connectTimer);
    clearInterval(this.silenceTimer);
    for (const u of this.unsubscribe) u();
    this.options.log?.(`viewer ${this.logName} closed: ${reason}`);
    this.closing = this.pc
      .close()
      .catch(() => {})
      .then(() => {
        const listeners = this.listeners;
        this.listeners = [];
        for (const l of listeners) l(reason);
      });
    return this.closing;
  }

  private onConnectionState(s: string): void {
    const before = this.stateValue;
    const event: ViewerEvent | undefined =
      s === 'connected' ? (before === ViewerState.connected ? 'reconnected' : 'connected')
        : s === 'disconnected' ? 'disconnected'
          : s === 'failed' ? 'failed'
            : s === 'closed' ? 'closed'
              : undefined;
    if (!event) return;
    const after = viewerTransition(before, event);
    if (event === 'disconnected') {
      clearTimeout(this.disconnectedTimer);
      const ms = this.options.disconnectedTimeoutMs ?? 5000;
      this.disconnectedTimer = setTimeout(() => void this.close(`disconnected for more than ${ms / 1000} s`), ms);
      this.disconnectedTimer.unref();
      return;
    }
    if (after === ViewerState.closed) {
      void this.close(event === 'failed' ? 'ICE or DTLS failed' : 'peer connection closed');
      return;
    }
    clearTimeout(this.disconnectedTimer);
    clearTimeout(this.connectTimer);
    this.stateValue = after;
    if (before !== after) this.options.log?.(`viewer ${this.logName} ${after}`);
    if (after === ViewerState.connected && !this.silenceTimer) this.watchRtcp();
    if (after === ViewerState.connected && this.attached) this.join();
  }

  private watchRtcp(): void {
    const limit = this.options.rtcpSilenceTimeoutMs ?? 10_000;
    this.lastRtcpMs = performance.now();
    this.silenceTimer = setInterval(() => {
      if (performance.now() - this.lastRtcpMs > limit) void this.close(`no RTCP from the viewer for ${limit / 1000} s`);
    }, Math.min(1000, limit / 2));
    this.silenceTimer.unref();
  }

  private join(): void {
    if (this.handle) return;
    this.handle = this.options.hub.addReader({ write: (unit) => this.write(unit) });
    if (this.audioAnchor && this.options.audio) this.leaveAudio = this.options.audio.addReader({ write: (unit) => this.writeAudio(unit) });
  }

  /** One Opus packet, shared by every viewer; at most audioInFlight sends outstanding (a slow viewer loses its own sound only). */
  private writeAudio(unit: OpusRtpUnit): void {
    if (this.stateValue !== ViewerState.connected || !this.audioAnchor) return;
    if (this.audioInFlight >= (this.options.audioInFlight ?? 10)) {
      this.audioDropped++;
      return;
    }
    this.audioInFlight++;
    void this.audioAnchor
      .send(this.packets.audioPacketFor(unit), unit.captureTimeMs)
      .catch(() => {})
      .finally(() => this.audioInFlight--);
  }

  private write(unit: StreamUnit): Promise<void> | undefined {
    if (this.stateValue !== ViewerState.connected) return undefined;
    const packets = this.packets.packetsFor(unit, this.plan);
    const first = packets[0];
    if (!first) return undefined;
    if (this.expectedSeq !== undefined && this.lastTimestamp !== undefined && unit.firstSequenceNumber !== this.expectedSeq) {
      // This viewer skipped units (joined late or dropped to an IDR): keep its sequence
      // numbers contiguous so it does not NACK packets it was never meant to get, and keep
      // the timestamp step true to the capture clock (rtpSender.js freezeRtpContinuityOffsets).
      this.sender.replaceRTP(first.header, false, (unit.rtpTimestamp - this.lastTimestamp + 2 ** 32) % 2 ** 32);
    }
    this.expectedSeq = (unit.firstSequenceNumber + packets.length) & 0xffff;
    this.lastTimestamp = unit.rtpTimestamp;
    const sends: Promise<void>[] = [];
    for (const packet of packets) sends.push(this.videoAnchor.send(packet, unit.captureTimeMs));
    return Promise.all(sends).then(() => undefined);
  }
}
