/**
 * WhepClient receives the box's video and sound over WHEP (RFC 9725): recvonly H.264 and
 * Opus transceivers (one MediaStream: the box lip-syncs them), a non-trickle offer POSTed with `Authorization: Bearer <secret>`, the
 * answer applied, then Server-Sent Events on `<resource>/events` to learn when the
 * sonographer ends the session. After a network blip it re-offers with the resume
 * secret the box handed back (`X-Sonobox-Resume`).
 *
 * DOM-free: fetch, the peer connection, EventSource and timers are injected (whep-ports.ts),
 * so the whole negotiation is tested in Node with fakes. This file is the lifecycle: the
 * offer's steps are in whep-negotiation.ts, the media timer in media-watchdog.ts. Secrets
 * only ever travel in the Authorization header, never in a URL.
 */
import { audioInAnswer, prepareAudioTransceiver, readBoxEvent, type BoxAudio } from './box-audio.js';
import type { LinkSecret } from './link-fragment.js';
import type { CodecLike } from './h264-codecs.js';
import { CONNECT_TIMEOUT_MS, DISCONNECTED_GRACE_MS, MediaWatchdog, stallReason } from './media-watchdog.js';
import { fingerprintMatches } from './sdp-fingerprint.js';
import { MAX_ATTEMPTS, backoffDelayMs, retryAfterMs } from './retry-policy.js';
import { ErrorReason, ViewerPhase, isTerminal, transition, type ViewerEvent } from './viewer-state.js';
import { classifyWhepStatus, gatheringComplete, preferLowLatency, prepareTransceiver, whepRequest } from './whep-negotiation.js';
import type { EventSourceLike, FetchLike, PeerLike, ResponseLike, Timers, TrackEventLike } from './whep-ports.js';

export interface WhepClientOptions {
  link: LinkSecret;
  /** Default '/whep' (same origin as the page). */
  endpoint?: string;
  fetch: FetchLike;
  createPeerConnection: () => PeerLike;
  /** RTCRtpReceiver.getCapabilities('video'), or null where unavailable. */
  videoCapabilities: () => { readonly codecs: readonly CodecLike[] } | null;
  /** RTCRtpReceiver.getCapabilities('audio'), or null where unavailable. */
  audioCapabilities?: () => { readonly codecs: readonly CodecLike[] } | null;
  createEventSource: (url: string) => EventSourceLike;
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

  private resumeSecret: string | null = null;
  private resourceUrl: string | null = null;
  private pc: PeerLike | null = null;
  private events: EventSourceLike | null = null;
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
   * The page is going away: stop everything and DELETE the WHEP resource with a
   * keepalive request, so the box frees the viewer slot at once. Idempotent.
   */
  leave(): void {
    if (this.left) return;
    this.left = true;
    this.teardown();
    const url = this.resourceUrl;
    if (url === null || isTerminal(this.phase)) return;
    this.opts
      .fetch(url, { ...whepRequest('DELETE', this.resumeSecret), keepalive: true })
      .catch(() => undefined);
  }

  // --- negotiation ---------------------------------------------------------------

  private async negotiate(): Promise<void> {
    const gen = ++this.generation;
    const maxAttempts = this.resumeSecret === null ? MAX_ATTEMPTS.connect : MAX_ATTEMPTS.resume;
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

    const resuming = this.resumeSecret !== null;
    const base = whepRequest('POST', this.resumeSecret ?? this.opts.link.token);
    let response: ResponseLike;
    try {
      response = await this.opts.fetch(this.opts.endpoint ?? '/whep', {
        ...base,
        headers: { ...base.headers, 'Content-Type': 'application/sdp' },
        body: offerSdp,
      });
    } catch {
      return { kind: 'retry', delayMs: null }; // box unreachable for now
    }
    if (gen !== this.generation) return DONE;

    const reply = classifyWhepStatus(response.status);
    switch (reply.kind) {
      case 'answer':
        return this.accept(gen, pc, response);
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

  private async accept(gen: number, pc: PeerLike, response: ResponseLike): Promise<AttemptOutcome> {
    const answer = await response.text();
    if (gen !== this.generation) return DONE;
    const expected = this.opts.link.fingerprint;
    if (expected !== null && !fingerprintMatches(answer, expected)) {
      this.fail(ErrorReason.fingerprintMismatch);
      return DONE;
    }
    const resume = response.headers.get('X-Sonobox-Resume');
    if (resume) this.resumeSecret = resume;
    const location = response.headers.get('Location');
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch {
      if (gen === this.generation) this.fail(ErrorReason.rejected);
      return DONE;
    }
    if (gen !== this.generation) return DONE;
    this.setAudio(audioInAnswer(answer));
    if (location) {
      this.resourceUrl = location;
      this.openEvents(`${location.replace(/\/+$/, '')}/events`);
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
   * Whether an SSE "ended" can be believed. The box answers "ended" at once for a viewer
   * id it no longer knows, and after a blip the box forgets the dropped viewer while
   * EventSource reconnects to its old URL: that "ended" is stale. So while media is in
   * trouble the events are not trusted (and are closed once we re-offer); the resume
   * POST decides instead (403 = the session really ended).
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
    this.events?.close(); // reopened on the resumed viewer's resource
    this.events = null;
    if (this.resumeSecret === null) {
      this.fail(ErrorReason.lost);
      return;
    }
    this.dispatch({ type: 'media-lost' });
    void this.negotiate();
  }

  private openEvents(url: string): void {
    this.events?.close();
    const events = this.opts.createEventSource(url);
    this.events = events;
    events.addEventListener('message', (event) => {
      if (events !== this.events) return;
      const { state, audio } = readBoxEvent(event.data);
      if (audio !== undefined) this.setAudio(audio);
      if (state === 'ended' && this.mediaHealthy()) this.dispatch({ type: 'session-ended' });
    });
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
    this.events?.close();
    this.events = null;
    for (const entry of [...this.sleeps]) {
      this.opts.timers.clearTimeout(entry.handle);
      entry.wake();
    }
  }
}
