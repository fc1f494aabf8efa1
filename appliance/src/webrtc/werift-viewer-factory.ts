/**
 * WeriftViewerFactory answers WHEP offers with one werift RTCPeerConnection per viewer.
 * Protocol pieces live elsewhere (offer-check, offer-pinning, rtp-header-extensions,
 * h264/rtp-packetizer), the viewer after the answer in werift-viewer.ts, the shared packets
 * in packet-cache.ts; this file is how an offer becomes an answer, and the session's keys.
 *
 * Answer flow (field notes, "werift 0.25 as an H.264 sender"): check the offer → pin it to
 * one H.264 format (and Opus) → take out `a=end-of-candidates` and the mDNS candidates
 * (remote-candidates.ts) → setRemoteDescription → no default STUN → video transceiver
 * sendonly with a track, audio sendonly with the Opus track in the same MediaStream (or
 * inactive: answerAudio) → createAnswer → setLocalDescription
 * → wait (bounded) for ICE gathering → answer SDP; then the mDNS names are resolved and
 * trickled into werift while the phone's checks run.
 */
import {
  MediaStream,
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpHeaderExtensionParameters,
  useH264,
  useOPUS,
  type RTCRtpTransceiver,
} from 'werift';
import type { Config } from '../config/config.js';
import type { CheckedOffer } from './offer-check.js';
import { dropUnroutableCandidates, gathersOnLoopback, unroutableReason } from './candidate-filter.js';
import { guardIceDatagrams } from './ice-datagram-guard.js';
import { MdnsResolver } from './mdns-resolver.js';
import { disableDefaultStun } from './no-default-stun.js';
import { checkOffer } from './offer-check.js';
import { PINNED_RTCP_FEEDBACK, pinOfferToH264, signalProfileLevelId } from './offer-pinning.js';
import { extensionPlan, PacketCache } from './packet-cache.js';
import { splitRemoteCandidates, withAddress, type MdnsCandidate } from './remote-candidates.js';
import { ABS_CAPTURE_TIME_URI, PLAYOUT_DELAY_URI } from './rtp-header-extensions.js';
import { generateSessionKeys, type SessionKeys } from './session-keys.js';
import { OfferRejected, type PendingViewer, type ViewerFactory } from './viewer-connection.js';
import { WeriftViewer, type WeriftViewerOptions } from './werift-viewer.js';

export interface WeriftViewerFactoryOptions extends WeriftViewerOptions {
  readonly webrtc: Config['webrtc'];
  /** Longest wait for ICE gathering before answering with what is gathered; default 5000 ms. */
  readonly iceGatheringTimeoutMs?: number;
  /**
   * Accept loopback remote candidates; default: only when extraHostAddresses has a
   * loopback address (dev box, tests), since only then can such a pair work at all.
   */
  readonly allowLoopbackCandidates?: boolean;
  /**
   * The profile-level-id of the stream the encoder emits, signalled in every answer
   * (encode/v4l2-m2m-encoder-controls.ts streamProfileLevelId); default: the offer's.
   */
  readonly profileLevelId?: string;
  /** Resolves the phones' mDNS candidates; default one MdnsResolver per factory. */
  readonly mdns?: Pick<MdnsResolver, 'resolve'>;
}

export class WeriftViewerFactory implements ViewerFactory {
  /** Packets built once per (unit, extension plan), shared by every viewer with that plan. */
  private readonly packets: PacketCache;
  /** The running session's DTLS certificate and key (RAM only), see newSessionKeys(). */
  private sessionKeys: SessionKeys | undefined;
  private readonly mdns: Pick<MdnsResolver, 'resolve'>;

  constructor(private readonly options: WeriftViewerFactoryOptions) {
    this.packets = new PacketCache({ minMs: options.webrtc.playoutDelayMinMs, maxMs: options.webrtc.playoutDelayMaxMs });
    this.mdns = options.mdns ?? new MdnsResolver({ log: options.log });
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
    const { offer: withoutMdns, mdns } = splitRemoteCandidates(pinOfferToH264(offerSdp, checked));
    const pinnedOffer = dropUnroutableCandidates(withoutMdns, { allowLoopback });
    // Without session keys (a factory used on its own) werift's per-process certificate is used.
    const keys = this.sessionKeys;
    const pc = new RTCPeerConnection({
      ...(keys ? { dtls: { keys: keys.dtls } } : {}),
      iceServers: [],
      iceAdditionalHostAddresses: [...this.options.webrtc.extraHostAddresses],
      icePortRange: this.options.webrtc.icePortRange,
      codecs: {
        audio: [useOPUS()],
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
      disableDefaultStun(pc);
      const transceiver = pc.getTransceivers().find((t) => t.kind === 'video');
      if (!transceiver) throw new OfferRejected('SDP offer has no usable video m-section');
      transceiver.setDirection('sendonly');
      const track = new MediaStreamTrack({ kind: 'video' });
      const sound = this.options.audio ? pickAudioTransceiver(pc.getTransceivers(), checked.audio) : undefined;
      const audioTrack = sound ? new MediaStreamTrack({ kind: 'audio' }) : undefined;
      // One MediaStream for both tracks: the answer gives them the same a=msid stream id, the
      // browser puts them in one sync group and lines them up by their sender reports
      // (RFC 8830 §2; sender-report-anchor.ts puts those on the capture clock).
      const stream = new MediaStream({ id: 'sonobox', tracks: audioTrack ? [track, audioTrack] : [track] });
      pc.addTrack(track, stream);
      for (const audio of pc.getTransceivers().filter((t) => t.kind === 'audio' && t !== sound)) answerAudio(audio);
      if (sound && audioTrack) {
        sound.setDirection('sendonly');
        pc.addTrack(audioTrack, stream);
      }
      await pc.setLocalDescription(await pc.createAnswer());
      await waitForIceGathering(pc, this.options.iceGatheringTimeoutMs ?? 5000);
      // Before the answer leaves: from now on only the viewer's ICE-proven address reaches DTLS/SRTP.
      const guard = guardIceDatagrams(pc);
      const localSdp = pc.localDescription?.sdp;
      if (!localSdp) throw new Error('werift produced no local description after setLocalDescription');
      const pli = this.options.profileLevelId;
      const answerSdp = pli ? signalProfileLevelId(localSdp, checked.h264.payloadType, pli) : localSdp;
      const viewer = new WeriftViewer(pc, { video: transceiver.sender, audio: sound?.sender }, extensionPlan(checked.extensionIds), this.packets, this.options, guard);
      if (mdns.length > 0) void this.trickleMdns(pc, viewer.logName, mdns, allowLoopback);
      return { answerSdp, connection: viewer, attach: () => viewer.attach() };
    } catch (error) {
      await pc.close().catch(() => {});
      throw error;
    }
  }

  /**
   * Resolves the offer's mDNS names and gives werift each routable address as a remote
   * candidate. ICE is already running by then: the phone's own checks usually win the
   * race (a peer-reflexive pair), and these pairs are the way when they cannot.
   */
  private async trickleMdns(pc: RTCPeerConnection, viewerName: string, candidates: readonly MdnsCandidate[], allowLoopback: boolean): Promise<void> {
    const found = await this.mdns.resolve([...new Set(candidates.map((c) => c.hostname))]);
    let added = 0;
    for (const c of candidates) {
      for (const record of found.get(c.hostname) ?? []) {
        const reason = unroutableReason(record.address);
        if (reason !== undefined && !(reason === 'loopback' && allowLoopback)) continue;
        if (pc.connectionState === 'closed') return;
        try {
          await pc.addIceCandidate({ candidate: withAddress(c.candidate, record.address), sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
          added++;
        } catch {
          // werift refused it (e.g. the m-section went away); the other pairs carry on
        }
      }
    }
    const names = new Set(candidates.map((c) => c.hostname)).size;
    this.options.log?.(`viewer ${viewerName}: ${found.size} of ${names} mDNS candidate names resolved, ${added} candidates added`);
  }
}

/**
 * The audio m-section the box sends its sound on: the first the viewer offered to receive
 * on with Opus (checkOffer's pick), when the box has sound.
 */
function pickAudioTransceiver(transceivers: readonly RTCRtpTransceiver[], audio: CheckedOffer['audio']): RTCRtpTransceiver | undefined {
  if (!audio || !audio.receives || audio.opusPayloadType === undefined) return undefined;
  const candidates = transceivers.filter((t) => t.kind === 'audio');
  return candidates.find((t) => t.mLineIndex === audio.index) ?? candidates[0];
}

/**
 * The answer to an audio m-section the box sends nothing on: no sound on this box
 * (audio.device none, --source -), or a second audio section. Rejecting it (port 0,
 * werift's answer when it has no audio codec) is valid JSEP but strict stacks refuse the
 * whole answer: aiortc 1.4 wants rtcp-mux, ICE credentials and a common codec in every
 * section and got no video either. Accepted with Opus and `inactive` (RFC 8829 §5.3.1:
 * the direction the answerer has nothing to send on), it stays bundled with the video,
 * which every stack tested takes.
 */
function answerAudio(transceiver: RTCRtpTransceiver): void {
  transceiver.setDirection('inactive');
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
