/**
 * WeriftViewerFactory answers WHEP offers with one werift RTCPeerConnection per viewer and
 * feeds it from the StreamHub. Protocol pieces live elsewhere (offer-check, offer-pinning,
 * rtp-header-extensions, h264/rtp-packetizer); this file is the glue and the lifecycle.
 *
 * Answer flow (field notes, "werift 0.25 as an H.264 sender"): check the offer → pin it to
 * one H.264 format → setRemoteDescription → video transceiver sendonly with a track →
 * createAnswer → setLocalDescription → wait (bounded) for ICE gathering → answer SDP.
 * Media flows once the connection is `connected` and attach() was called, from the next
 * IDR (the hub requests one). Packets go straight to RTCRtpSender.sendRtp: one clone per
 * packet per viewer (rtpSender.js dispatchRtp) instead of three through track.writeRtp.
 */
import { randomBytes } from 'node:crypto';
import {
  MediaStream,
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpHeaderExtensionParameters,
  RtpHeader,
  RtpPacket,
  useH264,
  type RTCRtpSender,
} from 'werift';
import type { Config } from '../config/config.js';
import type { ReaderHandle, StreamHub, StreamUnit } from '../stream/stream-hub.js';
import { dropUnroutableCandidates, gathersOnLoopback } from './candidate-filter.js';
import { guardIceDatagrams, type GuardCounters } from './ice-datagram-guard.js';
import { checkOffer } from './offer-check.js';
import { PINNED_RTCP_FEEDBACK, pinOfferToH264 } from './offer-pinning.js';
import {
  ABS_CAPTURE_TIME_URI,
  PLAYOUT_DELAY_URI,
  serializeAbsCaptureTime,
  serializePlayoutDelay,
} from './rtp-header-extensions.js';
import { guardSenderRtcp, type RtcpGuardCounters } from './rtcp-guard.js';
import { generateSessionKeys, type SessionKeys } from './session-keys.js';
import {
  OfferRejected,
  ViewerState,
  type PendingViewer,
  type ViewerConnection,
  type ViewerFactory,
} from './viewer-connection.js';

export interface WeriftViewerFactoryOptions {
  readonly hub: StreamHub;
  readonly webrtc: Config['webrtc'];
  /** Longest wait for ICE gathering before answering with what is gathered; default 5000 ms. */
  readonly iceGatheringTimeoutMs?: number;
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
  /**
   * Accept loopback remote candidates; default: only when extraHostAddresses has a
   * loopback address (dev box, tests), since only then can such a pair work at all.
   */
  readonly allowLoopbackCandidates?: boolean;
  /** NACK-driven resends per viewer per second (token bucket); default 200. */
  readonly nackRetransmitsPerSecond?: number;
  /** One line per viewer event (ids and states only, never addresses). */
  readonly log?: (line: string) => void;
}

/** Extension ids and bytes one viewer's packets carry; viewers with equal keys share packets. */
interface ExtensionPlan {
  readonly key: string;
  readonly playoutDelayId: number | undefined;
  readonly absCaptureTimeId: number | undefined;
}

export class WeriftViewerFactory implements ViewerFactory {
  private readonly playoutDelay: Buffer;
  /** Packets built once per (unit, extension plan), shared by every viewer with that plan. */
  private readonly packetCache = new WeakMap<StreamUnit, Map<string, RtpPacket[]>>();
  /** The running session's DTLS certificate and key (RAM only), see newSessionKeys(). */
  private sessionKeys: SessionKeys | undefined;

  constructor(private readonly options: WeriftViewerFactoryOptions) {
    this.playoutDelay = serializePlayoutDelay(options.webrtc.playoutDelayMinMs, options.webrtc.playoutDelayMaxMs);
  }

  /**
   * Makes a fresh DTLS certificate and key for a session that is starting and returns its
   * fingerprint (base64url SHA-256, 43 characters) for the link. Every viewer answered
   * until clearSessionKeys() presents this certificate. Synchronous (~1 ms).
   */
  newSessionKeys(): { fingerprint: string } {
    this.sessionKeys = generateSessionKeys();
    return { fingerprint: this.sessionKeys.fingerprint };
  }

  /** Drops the session's key (session ended); the next session gets a new one. */
  clearSessionKeys(): void {
    this.sessionKeys = undefined;
  }

  /** The running session's fingerprint (base64url SHA-256), if keys were made. */
  sessionFingerprint(): string | undefined {
    return this.sessionKeys?.fingerprint;
  }

  async answer(offerSdp: string): Promise<PendingViewer> {
    const checked = checkOffer(offerSdp); // throws OfferRejected before any socket exists
    const allowLoopback = this.options.allowLoopbackCandidates ?? gathersOnLoopback(this.options.webrtc.extraHostAddresses);
    const pinnedOffer = dropUnroutableCandidates(pinOfferToH264(offerSdp, checked), { allowLoopback });
    // Without session keys (a factory used on its own) werift's per-process certificate is used.
    const keys = this.sessionKeys;
    const pc = new RTCPeerConnection({
      ...(keys ? { dtls: { keys: keys.dtls } } : {}),
      iceServers: [],
      iceAdditionalHostAddresses: [...this.options.webrtc.extraHostAddresses],
      icePortRange: this.options.webrtc.icePortRange,
      codecs: {
        audio: [],
        video: [useH264({ rtcpFeedback: PINNED_RTCP_FEEDBACK.map((f) => ({ type: f.split(' ')[0]!, parameter: f.split(' ')[1] })) })],
      },
      headerExtensions: {
        audio: [],
        video: [
          new RTCRtpHeaderExtensionParameters({ uri: PLAYOUT_DELAY_URI }),
          new RTCRtpHeaderExtensionParameters({ uri: ABS_CAPTURE_TIME_URI }),
        ],
      },
    });
    try {
      try {
        await pc.setRemoteDescription({ type: 'offer', sdp: pinnedOffer });
      } catch {
        // werift's message may quote the SDP; the client gets a fixed line instead.
        throw new OfferRejected('SDP offer could not be applied (werift refused it)');
      }
      const transceiver = pc.getTransceivers().find((t) => t.kind === 'video');
      if (!transceiver) throw new OfferRejected('SDP offer has no usable video m-section');
      transceiver.setDirection('sendonly');
      const track = new MediaStreamTrack({ kind: 'video' });
      pc.addTrack(track, new MediaStream({ id: 'sonobox', tracks: [track] }));
      await pc.setLocalDescription(await pc.createAnswer());
      await waitForIceGathering(pc, this.options.iceGatheringTimeoutMs ?? 5000);
      // Before the answer leaves: from now on only the viewer's ICE-proven address reaches DTLS/SRTP.
      const guard = guardIceDatagrams(pc);
      const answerSdp = pc.localDescription?.sdp;
      if (!answerSdp) throw new Error('werift produced no local description after setLocalDescription');
      const plan: ExtensionPlan = {
        playoutDelayId: checked.extensionIds.playoutDelay,
        absCaptureTimeId: checked.extensionIds.absCaptureTime,
        key: `${checked.extensionIds.playoutDelay ?? '-'}:${checked.extensionIds.absCaptureTime ?? '-'}`,
      };
      const viewer = new WeriftViewer(pc, transceiver.sender, plan, this, this.options, guard);
      return { answerSdp, connection: viewer, attach: () => viewer.attach() };
    } catch (error) {
      await pc.close().catch(() => {});
      throw error;
    }
  }

  /** @internal The RTP packets of `unit` for one extension plan; built once, shared by viewers. */
  packetsFor(unit: StreamUnit, plan: ExtensionPlan): RtpPacket[] {
    let byPlan = this.packetCache.get(unit);
    if (!byPlan) this.packetCache.set(unit, (byPlan = new Map()));
    let packets = byPlan.get(plan.key);
    if (packets) return packets;
    const absCaptureTime = plan.absCaptureTimeId !== undefined ? serializeAbsCaptureTime(unit.captureTimeMs) : undefined;
    packets = unit.packets.map((p, i) => {
      const extensions: { id: number; payload: Buffer }[] = [];
      // playout-delay on every packet: libwebrtc reads it from whichever packet starts the
      // assembled frame and keeps the last value it saw, so a lost first packet or a
      // viewer that joins mid-stream must still find it; 4 bytes a packet.
      if (plan.playoutDelayId !== undefined) extensions.push({ id: plan.playoutDelayId, payload: this.playoutDelay });
      // abs-capture-time on the first packet of each frame, as libwebrtc's own sender does;
      // the value is per frame, so repeating it would only cost 9 bytes a packet.
      if (i === 0 && absCaptureTime) extensions.push({ id: plan.absCaptureTimeId!, payload: absCaptureTime });
      return new RtpPacket(
        new RtpHeader({
          // payloadType and ssrc are rewritten per viewer by RTCRtpSender.dispatchRtp.
          sequenceNumber: (unit.firstSequenceNumber + i) & 0xffff,
          timestamp: unit.rtpTimestamp,
          marker: p.marker,
          extensions,
        }),
        p.payload,
      );
    });
    byPlan.set(plan.key, packets);
    return packets;
  }
}

/** Resolves when gathering is complete or after `timeoutMs`, whichever is first. */
async function waitForIceGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const { unSubscribe } = pc.iceGatheringStateChange.subscribe((state) => {
      if (state === 'complete') done();
    });
    function done(): void {
      clearTimeout(timer);
      unSubscribe();
      resolve();
    }
  });
}

/** 128 random bits, base64url: the WHEP resource id. */
export function newViewerId(): string {
  return randomBytes(16).toString('base64url');
}

/** Events that move a viewer's lifecycle (ViewerState). */
export type ViewerEvent = 'connected' | 'disconnected' | 'reconnected' | 'failed' | 'closed';

/** Pure lifecycle: connecting → connected → closed; closed is final. */
export function viewerTransition(state: ViewerState, event: ViewerEvent): ViewerState {
  if (state === ViewerState.closed) return state;
  switch (event) {
    case 'connected':
    case 'reconnected':
      return ViewerState.connected;
    case 'disconnected':
      return state; // stays as it was until the grace period ends (then 'failed')
    case 'failed':
    case 'closed':
      return ViewerState.closed;
  }
}

class WeriftViewer implements ViewerConnection {
  readonly id = newViewerId();
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

  constructor(
    private readonly pc: RTCPeerConnection,
    private readonly sender: RTCRtpSender,
    private readonly plan: ExtensionPlan,
    private readonly factory: WeriftViewerFactory,
    private readonly options: WeriftViewerFactoryOptions,
    /** Datagrams the ICE guard dropped (numbers only). */
    readonly datagramCounters: GuardCounters,
  ) {
    this.rtcpCounters = guardSenderRtcp(sender, { nackPerSecond: options.nackRetransmitsPerSecond });
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
    clearTimeout(this.disconnectedTimer);
    clearTimeout(this.connectTimer);
    clearInterval(this.silenceTimer);
    for (const u of this.unsubscribe) u();
    this.options.log?.(`viewer ${this.id} closed: ${reason}`);
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
    if (before !== after) this.options.log?.(`viewer ${this.id} ${after}`);
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
  }

  private write(unit: StreamUnit): Promise<void> | undefined {
    if (this.stateValue !== ViewerState.connected) return undefined;
    const packets = this.factory.packetsFor(unit, this.plan);
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
    for (const packet of packets) sends.push(this.sender.sendRtp(packet));
    return Promise.all(sends).then(() => undefined);
  }
}
