/**
 * How the page builds its WHEP offer and reads the box's reply (RFC 9725 §4.2), as small
 * steps the WhepClient strings together: pin the transceiver to H.264 Constrained Baseline
 * and ask for the box's header extensions, wait for ICE gathering (non-trickle: the box
 * answers whole offers only), build the request, and classify the response.
 */
import { pickH264Codecs, type CodecLike } from './h264-codecs.js';
import type { HeaderExtensionLike, PeerLike, ReceiverLike, RequestInitLike, Timers, TransceiverLike } from './whep-ports.js';

/** Non-trickle offer: wait at most this long for ICE gathering, then send what we have. */
export const GATHERING_TIMEOUT_MS = 2_000;

/**
 * RTP header extensions the box sends and the page asks for. Chromium offers playout-delay
 * by default but not abs-capture-time, so the page turns it on where the browser lets it.
 */
export const wantedHeaderExtensions = [
  'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time',
] as const;

/** The browser's list with every wanted extension it knows switched on (receive side). */
export function enableHeaderExtensions(list: readonly HeaderExtensionLike[], wanted: readonly string[] = wantedHeaderExtensions): HeaderExtensionLike[] {
  return list.map((e) => (wanted.includes(e.uri) && e.direction === 'stopped' ? { ...e, direction: 'sendrecv' } : e));
}

/**
 * Pins the transceiver to what the box sends and asks for its extensions. Returns false
 * when the browser says it has no H.264 Constrained Baseline receiver at all.
 */
export function prepareTransceiver(transceiver: TransceiverLike, capabilities: { readonly codecs: readonly CodecLike[] } | null): boolean {
  if (capabilities !== null && transceiver.setCodecPreferences) {
    const h264 = pickH264Codecs(capabilities.codecs);
    if (h264.length === 0) return false;
    transceiver.setCodecPreferences(h264);
  }
  if (transceiver.getHeaderExtensionsToNegotiate && transceiver.setHeaderExtensionsToNegotiate) {
    try {
      transceiver.setHeaderExtensionsToNegotiate(enableHeaderExtensions(transceiver.getHeaderExtensionsToNegotiate()));
    } catch {
      // An extension the browser refuses only costs its latency hint, never the stream.
    }
  }
  return true;
}

/** Resolves when ICE gathering is complete, or after GATHERING_TIMEOUT_MS with what there is. */
export function gatheringComplete(pc: PeerLike, timers: Timers): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = timers.setTimeout(resolve, GATHERING_TIMEOUT_MS);
    const check = (): void => {
      if (pc.iceGatheringState !== 'complete') return;
      timers.clearTimeout(timer);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/**
 * A request that carries nothing but what it names: no cookies, no referrer, no cache, no
 * redirect; `authorization` is the request's one-time Sonobox-Proof (request-proof.ts).
 */
export function whepRequest(method: 'POST' | 'GET' | 'DELETE', authorization: string): RequestInitLike {
  return {
    method,
    headers: { Authorization: authorization },
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
    referrerPolicy: 'no-referrer',
  };
}

/** What a WHEP POST's status means for the page. */
export type WhepReply =
  | { readonly kind: 'answer' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'retry'; readonly retryAfter: boolean }
  | { readonly kind: 'rejected' };

/**
 * 201: an answer. 403: the link is refused (used, expired, ended, or not this page's).
 * 409: the box still hears this page's old connection; 429: too many bad credentials from
 * this network; both retry after the box's Retry-After. 5xx: retry with back-off. Anything else (400, 415, …): the box cannot use
 * this offer, and sending it again would not change that.
 */
export function classifyWhepStatus(status: number): WhepReply {
  if (status === 201) return { kind: 'answer' };
  if (status === 403) return { kind: 'refused' };
  if (status === 409 || status === 429) return { kind: 'retry', retryAfter: true };
  if (status >= 500) return { kind: 'retry', retryAfter: false };
  return { kind: 'rejected' };
}

/**
 * Asks the receiver for the smallest jitter buffer (RTCRtpReceiver.jitterBufferTarget = 0,
 * W3C webrtc-extensions: Chrome 124+, Firefox 115+, Safari 27+). Chromium already honours the
 * box's playout-delay (0, 0) header extension; Firefox negotiates that extension but ignores
 * it, so there this is what lowers the latency (bench/latency-bench.ts measures both).
 */
export function preferLowLatency(receiver: ReceiverLike | undefined): void {
  if (!receiver || !('jitterBufferTarget' in receiver)) return;
  try {
    receiver.jitterBufferTarget = 0;
  } catch {
    // an engine that refuses the value keeps its default buffer
  }
}
