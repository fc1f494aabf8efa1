/**
 * WhepClient receives the box's video and sound over WHEP (RFC 9725): recvonly H.264 and
 * Opus transceivers (one MediaStream: the box lip-syncs them), a non-trickle offer POSTed,
 * the answer applied, then the box's signed events on `<resource>/events` to learn when
 * the sonographer ends the session. After a network blip it re-offers on the same link.
 *
 * No reusable credential ever leaves the page (docs/credential-scheme.md): every request
 * carries a one-time `Authorization: Sonobox-Proof …` over its exact method, address, path
 * and body, made from the link's token (claim) and then from device keys agreed with the
 * box; the page believes an answer, a resource and an event only when the box signed it.
 * The token stays in memory, is never sent, and opens nothing once the link is claimed.
 *
 * DOM-free: fetch, the peer connection, timers and randomness are injected (whep-ports.ts),
 * so the whole negotiation is tested in Node with fakes. This file is the lifecycle: the
 * offer's steps are in whep-negotiation.ts, the media timer in media-watchdog.ts, the
 * signing in request-proof.ts.
 */
import { audioInAnswer, prepareAudioTransceiver, readBoxEvent, type BoxAudio } from './box-audio.js';
import type { LinkSecret } from './link-fragment.js';
import type { CodecLike } from './h264-codecs.js';
import { CONNECT_TIMEOUT_MS, DISCONNECTED_GRACE_MS, MediaWatchdog, stallReason } from './media-watchdog.js';
import { completeClaim, signRequest, startProver, verifyEvent, verifyResponse, type Prover, type ResponseToCheck, type SignedRequest } from './request-proof.js';
import { fingerprintMatches } from './sdp-fingerprint.js';
import { MAX_ATTEMPTS, backoffDelayMs, retryAfterMs } from './retry-policy.js';
import { feedSse, initialSseState } from './sse-reader.js';
import { ErrorReason, ViewerPhase, isTerminal, transition, type ViewerEvent } from './viewer-state.js';
import { classifyWhepStatus, gatheringComplete, preferLowLatency, prepareTransceiver, whepRequest } from './whep-negotiation.js';
import type { FetchLike, PeerLike, ResponseLike, StreamReaderLike, Timers, TrackEventLike } from './whep-ports.js';

/** An event stream that closed on its own (a proxy's idle timeout, a box restart) is reopened after this. */
export const EVENTS_REOPEN_MS = 2_000;
/** …at most this many times in a row without a signed event in between. */
export const EVENTS_REOPEN_LIMIT = 5;

export interface WhepClientOptions {
  link: LinkSecret;
  /**
   * The box as this page addresses it (request-proof.ts boxBase: origin plus a relay's
   * path prefix). Requests go to `base + path` and are signed for exactly that.
   */
  base: string;
  fetch: FetchLike;
  /** crypto.getRandomValues into `length` fresh bytes (the claim's X25519 secret). */
  randomBytes: (length: number) => Uint8Array;
  createPeerConnection: () => PeerLike;
  /** RTCRtpReceiver.getCapabilities('video'), or null where unavailable. */
  videoCapabilities: () => { readonly codecs: readonly CodecLike[] } | null;
  /** RTCRtpReceiver.getCapabilities('audio'), or null where unavailable. */
  audioCapabilities?: () => { readonly codecs: readonly CodecLike[] } | null;
  /** Wraps lone tracks (an answer without a=msid) into one MediaStream. */
  createStream: (tracks: readonly unknown[]) => unknown;
  timers: Timers;
  /** [0, 1) for back-off jitter; default Math.random. */
  random?: () => number;
  /** Wall clock in ms for Retry-After dates; default Date.now. */
  now?: () => number;
}

/** What the page renders. `stream` is a MediaStream in the browser. */
export interface ViewerSnapshot {
  readonly phase: ViewerPhase;
  readonly reason: ErrorReason | null;
  readonly stream: unknown;
  /** The box's sound (box-audio.ts): on, muted at the box, none, or not known yet. */
  readonly audio: BoxAudio;
}

type AttemptOutcome = { readonly kind: 'done' } | { readonly kind: 'retry'; readonly delayMs: number | null };
const DONE: AttemptOutcome = { kind: 'done' };

export class WhepClient {
  private phase: ViewerPhase = ViewerPhase.connecting;
  private reason: ErrorReason | null = null;
  private stream: unknown = null;
  private audio: BoxAudio = 'unknown';
  /** Tracks of the current peer connection that came without a stream. */
  private loneTracks: unknown[] = [];
  private readonly listeners = new Set<(snapshot: ViewerSnapshot) => void>();

  /** The link's keys and counter; null when the fragment's token is not one the box makes. */
  private prover: Prover | null;
  /** Box-relative path of the current WHEP resource (`/whep/<id>`), from a signed answer. */
  private resource: string | null = null;
  private pc: PeerLike | null = null;
  /** The open event stream; replaced (and the old one cancelled) whenever a new one opens. */
  private events: { reader: StreamReaderLike | null; closed: boolean } | null = null;
  /** Bumped whenever in-flight work must be abandoned (teardown, new negotiation). */
  private generation = 0;
  private readonly watchdog: MediaWatchdog;
  /** A frame of the current peer connection's stream was decoded. */
  private pictureSeen = false;
  private readonly sleeps = new Set<{ handle: unknown; wake: () => void }>();
  private started = false;
  private left = false;

  constructor(private readonly opts: WhepClientOptions) {
    this.watchdog = new MediaWatchdog(opts.timers, () => this.onStall());
    this.prover = startProver(opts.link.token);
  }

  get snapshot(): ViewerSnapshot {
    return { phase: this.phase, reason: this.reason, stream: this.stream, audio: this.audio };
  }

  /** Calls `listener` on every change of phase, reason, stream or sound; returns an unsubscribe. */
  subscribe(listener: (snapshot: ViewerSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the first negotiation; later calls do nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.prover === null) {
      this.dispatch({ type: 'link-rejected' });
      return;
    }
    void this.negotiate();
  }

  /**
   * The page presented a frame of `stream` (requestVideoFrameCallback, or loadeddata /
   * timeupdate where that is missing). Only this makes the viewer live.
   */
  frameDecoded(stream: unknown): void {
    if (stream === null || stream !== this.stream || this.pc === null || this.pictureSeen) return;
    this.pictureSeen = true;
    this.watchdog.clear();
    this.dispatch({ type: 'media-connected' });
  }

  /** From `error` (the page's "Try again"): negotiate again, resuming when possible. */
  retry(): void {
    if (this.phase !== ViewerPhase.error || this.left) return;
    this.dispatch({ type: 'retry' });
    void this.negotiate();
  }

  /**
   * The page is going away: stop everything and DELETE the WHEP resource with a signed
   * keepalive request, so the box frees the viewer slot at once. Idempotent.
   */
  leave(): void {
    if (this.left) return;
    this.left = true;
    this.teardown();
    const path = this.resource;
    if (path === null || isTerminal(this.phase) || !this.prover?.claimed) return;
    const sent = this.sign('DELETE', path, '');
    this.opts.fetch(this.opts.base + path, { ...whepRequest('DELETE', sent.authorization), keepalive: true }).catch(() => undefined);
  }

  /** Signs the next request with the link's keys (a claim until the claim has succeeded). */
  private sign(method: 'POST' | 'GET' | 'DELETE', path: string, body: string): SignedRequest {
    const { prover, request } = signRequest(this.prover as Prover, { method, base: this.opts.base, path, body }, this.opts.randomBytes);
    this.prover = prover;
    return request;
  }

  // --- negotiation ---------------------------------------------------------------

  private async negotiate(): Promise<void> {
    const gen = ++this.generation;
    const maxAttempts = this.prover?.claimed ? MAX_ATTEMPTS.resume : MAX_ATTEMPTS.connect;
    for (let attempt = 0; ; attempt++) {
      let outcome: AttemptOutcome;
      try {
        outcome = await this.attempt(gen);
      } catch {
        // createOffer/setLocalDescription refused: this browser cannot do what we ask.
        if (gen === this.generation) this.fail(ErrorReason.unsupported);
        return;
      }
      if (outcome.kind === 'done' || gen !== this.generation) return;
      if (attempt + 1 >= maxAttempts) {
        this.fail(ErrorReason.unreachable);
        return;
      }
      const random = (this.opts.random ?? Math.random)();
      await this.sleep(outcome.delayMs ?? backoffDelayMs(attempt, random));
      if (gen !== this.generation) return;
    }
  }

  /** One offer/answer round with a fresh peer connection. */
  private async attempt(gen: number): Promise<AttemptOutcome> {
    this.closePeer();
    let pc: PeerLike;
    try {
      pc = this.opts.createPeerConnection();
    } catch {
      this.fail(ErrorReason.unsupported);
      return DONE;
    }
    this.pc = pc;
    pc.addEventListener('iceconnectionstatechange', () => this.onConnectionState(pc));
    pc.addEventListener('connectionstatechange', () => this.onConnectionState(pc));
    pc.addEventListener('track', (event: TrackEventLike) => this.onTrack(pc, event));

    const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
    if (!prepareTransceiver(transceiver, this.opts.videoCapabilities())) {
      this.fail(ErrorReason.unsupported);
      return DONE;
    }
    // The heartbeat: Opus, in the same bundle; the box answers it sendonly when it has sound.
    prepareAudioTransceiver(pc.addTransceiver('audio', { direction: 'recvonly' }), this.opts.audioCapabilities?.() ?? null);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await gatheringComplete(pc, this.opts.timers);
    if (gen !== this.generation) return DONE;
    const offerSdp = pc.localDescription?.sdp ?? offer.sdp ?? '';

    // Every attempt is a new signed request (a new counter): none is ever sent twice.
    const resuming = this.prover?.claimed === true;
    const sent = this.sign('POST', '/whep', offerSdp);
    const init = whepRequest('POST', sent.authorization);
    let response: ResponseLike;
    try {
      response = await this.opts.fetch(`${this.opts.base}/whep`, {
        ...init,
        headers: { ...init.headers, 'Content-Type': 'application/sdp' },
        body: offerSdp,
      });
    } catch {
      return { kind: 'retry', delayMs: null }; // box unreachable for now
    }
    if (gen !== this.generation) return DONE;

    const reply = classifyWhepStatus(response.status);
    switch (reply.kind) {
      case 'answer':
        return this.accept(gen, pc, response, sent);
      case 'refused':
        this.dispatch({ type: resuming ? 'resume-rejected' : 'link-rejected' });
        return DONE;
      case 'retry': {
        if (!reply.retryAfter) return { kind: 'retry', delayMs: null };
        const now = (this.opts.now ?? Date.now)();
        return { kind: 'retry', delayMs: retryAfterMs(response.headers.get('Retry-After'), now) };
      }
      case 'rejected':
        this.fail(ErrorReason.rejected);
        return DONE;
    }
  }

  private async accept(gen: number, pc: PeerLike, response: ResponseLike, sent: SignedRequest): Promise<AttemptOutcome> {
    const answer = await response.text();
    if (gen !== this.generation || this.prover === null) return DONE;
    // Believed only when the box signed it: the claim's 201 with the new device keys, a
    // resume's with the keys the page already holds. Else someone else answered.
    const seen = responseToCheck(response, answer);
    const signed = this.prover.claimed ? (verifyResponse(this.prover, sent, seen) ? this.prover : null) : completeClaim(this.prover, sent, seen);
    const expected = this.opts.link.fingerprint;
    if (signed === null || (expected !== null && !fingerprintMatches(answer, expected))) {
      this.fail(ErrorReason.fingerprintMismatch);
      return DONE;
    }
    this.prover = signed;
    const location = seen.location;
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch {
      if (gen === this.generation) this.fail(ErrorReason.rejected);
      return DONE;
    }
    if (gen !== this.generation) return DONE;
    this.setAudio(audioInAnswer(answer));
    if (location.startsWith('/whep/')) {
      this.resource = location.replace(/\/+$/, '');
      this.openEvents(0);
    }
    this.watchdog.arm(CONNECT_TIMEOUT_MS);
    this.onConnectionState(pc); // it may already be connected
    return DONE;
  }

  // --- media and session events --------------------------------------------------

  private onConnectionState(pc: PeerLike): void {
    if (pc !== this.pc) return;
    const ice = pc.iceConnectionState;
    const conn = pc.connectionState;
    if (ice === 'connected' || ice === 'completed' || conn === 'connected') {
      // Before the first picture the connect watchdog keeps running: ICE (even DTLS) up
      // says nothing about frames. After it, this is a blip healing on the same stream.
      if (this.pictureSeen) {
        this.watchdog.clear();
        this.dispatch({ type: 'media-connected' });
      }
    } else if (ice === 'failed' || conn === 'failed') {
      this.mediaLost();
    } else if (ice === 'disconnected' || conn === 'disconnected') {
      this.watchdog.arm(DISCONNECTED_GRACE_MS);
    }
  }

  private onTrack(pc: PeerLike, event: TrackEventLike): void {
    if (pc !== this.pc) return;
    preferLowLatency(event.receiver);
    const stream = event.streams[0];
    if (stream === undefined) this.loneTracks.push(event.track);
    this.stream = stream ?? this.opts.createStream(this.loneTracks);
    this.notify();
  }

  /**
   * Whether an unsigned 403 on the event stream can be taken as "over". While media is in
   * trouble it is not (the page is about to resume, and the resume's answer decides: 403 =
   * the session really ended); signed events are always believed.
   */
  private mediaHealthy(): boolean {
    const pc = this.pc;
    if (pc === null || this.phase === ViewerPhase.reconnecting) return false;
    const bad = ['disconnected', 'failed', 'closed'];
    return !bad.includes(pc.iceConnectionState) && !bad.includes(pc.connectionState ?? '');
  }

  /** The watchdog fired: a stall that resuming cannot cure is an error, the rest is lost media. */
  private onStall(): void {
    const pc = this.pc;
    const reason = pc === null ? 'lost' : stallReason(this.pictureSeen, pc.iceConnectionState, pc.connectionState);
    if (reason === 'lost') this.mediaLost();
    else this.fail(reason);
  }

  private mediaLost(): void {
    if (isTerminal(this.phase) || this.phase === ViewerPhase.error || this.left) return;
    this.watchdog.clear();
    this.closePeer();
    this.closeEvents(); // reopened on the resumed viewer's resource
    if (!this.prover?.claimed) {
      this.fail(ErrorReason.lost);
      return;
    }
    this.dispatch({ type: 'media-lost' });
    void this.negotiate();
  }

  /**
   * Reads the box's signed events through fetch (EventSource cannot send a proof). An
   * event counts only when the box signed it as the next of this stream; anything else
   * (a heartbeat, an injected or reordered event) is skipped.
   */
  private openEvents(reopens: number): void {
    this.closeEvents();
    const path = this.resource;
    if (path === null || this.prover === null) return;
    const stream: { reader: StreamReaderLike | null; closed: boolean } = { reader: null, closed: false };
    this.events = stream;
    const sent = this.sign('GET', `${path}/events`, '');
    void this.readEvents(stream, sent, `${this.opts.base}${path}/events`, reopens);
  }

  private async readEvents(stream: { reader: StreamReaderLike | null; closed: boolean }, sent: SignedRequest, url: string, reopens: number): Promise<void> {
    const current = (): boolean => stream === this.events && !stream.closed;
    let heard = false;
    try {
      const response = await this.opts.fetch(url, whepRequest('GET', sent.authorization));
      if (!current()) return;
      if (response.status === 403) {
        // The link is gone (the session ended while we were connecting): over, unless
        // media is in trouble, where the resume decides.
        if (this.mediaHealthy()) this.dispatch({ type: 'session-ended' });
        return;
      }
      if (response.status !== 200 || !response.body) return;
      const reader = response.body.getReader();
      stream.reader = reader;
      const decoder = new TextDecoder();
      let sse = initialSseState;
      let seq = 0;
      for (;;) {
        const chunk = await reader.read();
        if (!current() || chunk.done) break;
        const fed = feedSse(sse, decoder.decode(chunk.value, { stream: true }));
        sse = fed.state;
        for (const e of fed.events) {
          if (this.prover === null || !verifyEvent(this.prover, sent.n, seq, e)) continue;
          seq++;
          heard = true;
          if (this.onBoxEvent(e.data)) return;
          if (!current()) return;
        }
      }
    } catch {
      // the network dropped the stream: below, as a close
    }
    if (!current() || isTerminal(this.phase) || this.phase === ViewerPhase.error) return;
    const next = heard ? 0 : reopens + 1;
    if (next > EVENTS_REOPEN_LIMIT) return; // the media watchdog and the resume decide from here
    await this.sleep(EVENTS_REOPEN_MS);
    if (current()) this.openEvents(next);
  }

  /** Acts on one signed event; true when it ended this page's viewing. */
  private onBoxEvent(data: string): boolean {
    const { state, audio } = readBoxEvent(data);
    if (audio !== undefined) this.setAudio(audio);
    if (state === 'ended') this.dispatch({ type: 'session-ended' });
    else if (state === 'replaced') this.dispatch({ type: 'session-replaced' });
    else return false;
    return true;
  }

  private closeEvents(): void {
    const stream = this.events;
    this.events = null;
    if (stream === null) return;
    stream.closed = true;
    stream.reader?.cancel().catch(() => undefined);
  }

  // --- state ---------------------------------------------------------------------

  private fail(reason: ErrorReason): void {
    this.reason = reason;
    this.dispatch({ type: 'failed', reason });
  }

  private dispatch(event: ViewerEvent): void {
    const before = this.phase;
    this.phase = transition(before, event);
    if (this.phase !== ViewerPhase.error) this.reason = null;
    if (isTerminal(this.phase) || this.phase === ViewerPhase.error) this.teardown();
    if (this.phase !== before || event.type === 'failed') this.notify();
  }

  private setAudio(audio: BoxAudio): void {
    if (audio === this.audio) return;
    this.audio = audio;
    this.notify();
  }

  private notify(): void {
    const snapshot = this.snapshot;
    for (const listener of this.listeners) listener(snapshot);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        handle: null as unknown,
        wake: () => {
          this.sleeps.delete(entry);
          resolve();
        },
      };
      entry.handle = this.opts.timers.setTimeout(entry.wake, ms);
      this.sleeps.add(entry);
    });
  }

  private closePeer(): void {
    const pc = this.pc;
    this.pc = null;
    this.pictureSeen = false;
    this.loneTracks = [];
    pc?.close();
  }

  /** Abandons all in-flight work: peer, events, timers, pending retries. */
  private teardown(): void {
    this.generation++;
    this.watchdog.clear();
    this.closePeer();
    this.closeEvents();
    for (const entry of [...this.sleeps]) {
      this.opts.timers.clearTimeout(entry.handle);
      entry.wake();
    }
  }
}

/** What the box's signature covers, read off a fetch response ('' for an absent header). */
function responseToCheck(response: ResponseLike, body: string): ResponseToCheck {
  const h = (name: string): string => response.headers.get(name) ?? '';
  return { status: response.status, location: h('Location'), key: h('X-Sonobox-Key'), link: h('Link'), body, proof: h('X-Sonobox-Proof') };
}
