/**
 * The slices of the browser the WHEP client talks to, as DOM-free types: fetch, the peer
 * connection and its transceiver, timers and randomness. main.ts hands in the real ones;
 * the unit tests hand in fakes, so the whole negotiation runs in Node.
 */
import type { CodecLike } from './h264-codecs.js';

export interface ResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** The body as it arrives (the event stream is read this way); null when there is none. */
  readonly body?: StreamLike | null;
}
/** The slice of a ReadableStream<Uint8Array> the event reader uses. */
export interface StreamLike {
  getReader(): StreamReaderLike;
}
export interface StreamReaderLike {
  read(): Promise<{ readonly done: boolean; readonly value?: Uint8Array | undefined }>;
  cancel(): Promise<void>;
}
export interface RequestInitLike {
  method: 'POST' | 'GET' | 'DELETE';
  headers: Record<string, string>;
  body?: string;
  keepalive?: boolean;
  cache: 'no-store';
  credentials: 'omit';
  redirect: 'error';
  referrerPolicy: 'no-referrer';
}
export type FetchLike = (url: string, init: RequestInitLike) => Promise<ResponseLike>;

export interface TransceiverLike {
  /** Absent on browsers without RTCRtpTransceiver.setCodecPreferences. */
  setCodecPreferences?: ((codecs: CodecLike[]) => void) | undefined;
  /** W3C webrtc-extensions; absent on older browsers. */
  getHeaderExtensionsToNegotiate?: (() => HeaderExtensionLike[]) | undefined;
  setHeaderExtensionsToNegotiate?: ((extensions: HeaderExtensionLike[]) => void) | undefined;
}
export interface HeaderExtensionLike {
  readonly uri: string;
  readonly direction: string;
}
export interface TrackEventLike {
  readonly track: unknown;
  readonly streams: readonly unknown[];
  readonly receiver?: ReceiverLike;
}
/** RTCRtpReceiver's latency knob (W3C webrtc-extensions); absent on older browsers. */
export interface ReceiverLike {
  jitterBufferTarget?: number | null;
}
/** The slice of RTCPeerConnection this client uses. */
export interface PeerLike {
  readonly iceGatheringState: string;
  readonly iceConnectionState: string;
  readonly connectionState?: string | undefined;
  readonly localDescription: { readonly sdp: string } | null;
  addTransceiver(kind: 'video' | 'audio', init: { direction: 'recvonly' }): TransceiverLike;
  createOffer(): Promise<{ type: 'offer'; sdp?: string | undefined }>;
  setLocalDescription(description: { type: 'offer'; sdp?: string | undefined }): Promise<void>;
  setRemoteDescription(description: { type: 'answer'; sdp: string }): Promise<void>;
  addEventListener(type: string, listener: (event: never) => void): void;
  close(): void;
}
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
