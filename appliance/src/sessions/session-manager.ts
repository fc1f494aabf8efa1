/**
 * SessionManager: the stateful shell around the pure lifecycle. It owns the clock, the
 * expiry timers, the live ViewerConnection objects and the listeners; every change goes
 * through `transition()` and its effects are carried out here.
 *
 * Claiming is atomic because `bind()` is synchronous: two requests with the same token
 * may both pass `check()` and both build an answer, but only the first `bind()` finds the
 * link unused; the other is refused and must close its pending viewer.
 */
import type { ViewerConnection } from '../webrtc/viewer-connection.js';
import { hashCredential, mintCredential, randomId } from './link-token.js';
import {
  findCredential,
  idleSession,
  linkIdOfViewer,
  SessionState,
  snapshotOf,
  transition,
  type Session,
  type SessionEvent,
  type SessionPolicy,
  type SessionSnapshot,
  type TransitionResult,
} from './session-lifecycle.js';

export type { SessionPolicy, SessionSnapshot } from './session-lifecycle.js';

/** Monotonic time and timers, injectable so tests run on a fake clock. */
export interface SessionClock {
  /** Monotonic milliseconds (not wall time: a clock step must not revive or kill links). */
  now(): number;
  /** Runs `fn` after `ms`; returns a cancel function. Must not keep the process alive. */
  schedule(fn: () => void, ms: number): () => void;
}

export const systemClock: SessionClock = {
  now: () => performance.now(),
  schedule: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

/** The few log calls the manager makes; a pino logger fits. Messages carry no secrets. */
export interface EventLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface SessionManagerOptions {
  readonly policy: SessionPolicy;
  readonly clock?: SessionClock;
  readonly log?: EventLog;
}

export type StartResult =
  /** `token` goes into the link exactly once (QR, API answer) and is never stored. */
  | { readonly ok: true; readonly token: string; readonly expiresInMs: number; readonly joinedExisting: boolean }
  | { readonly ok: false; readonly refusal: 'session-full'; readonly message: string };

export type BindResult =
  /** `resumeSecret` goes to the viewer once (X-Sonobox-Resume) so it can reconnect after a blip. */
  | { readonly ok: true; readonly kind: 'link' | 'resume'; readonly resumeSecret: string }
  | { readonly ok: false };

const silentLog: EventLog = { info: () => {}, warn: () => {} };

export class SessionManager {
  readonly #policy: SessionPolicy;
  readonly #clock: SessionClock;
  readonly #log: EventLog;
  #session: Session = idleSession;
  readonly #viewers = new Map<string, ViewerConnection>();
  readonly #linkWatchers = new Map<string, Set<() => void>>();
  readonly #expiryTimers = new Set<() => void>();
  readonly #changeListeners = new Set<(s: SessionSnapshot) => void>();

  constructor(options: SessionManagerOptions) {
    this.#policy = options.policy;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLog;
  }

  /**
   * Starts a session with one link, or adds a link to the active one. When every place
   * is held, the links nobody has opened yet are replaced by this one (they stop working);
   * refused with a message only when every place is bound to a device.
   */
  start(): StartResult {
    const minted = mintCredential();
    const link = { id: randomId(), tokenHash: minted.hash };
    const joinedExisting = this.#session.state === SessionState.active;
    const event: SessionEvent = joinedExisting
      ? { type: 'add-link', link }
      : { type: 'start', sessionId: randomId(), policy: this.#policy, link };
    const r = this.#apply(event);
    if (!r.ok) {
      const max = this.#policy.maxViewers;
      return {
        ok: false,
        refusal: 'session-full',
        message: `Every viewer place in this session is held by a device that joined (session.maxViewers = ${max}); end the session to share with another device.`,
      };
    }
    const replaced = r.effects.filter((e) => e.type === 'link-ended').length;
    if (replaced > 0) this.#log.info(`Session: ${replaced === 1 ? 'the unused link was' : `${replaced} unused links were`} replaced by a new one`);
    const cancel = this.#clock.schedule(() => {
      this.#expiryTimers.delete(cancel);
      this.#apply({ type: 'expire' });
    }, this.#policy.linkTtlMs);
    this.#expiryTimers.add(cancel);
    this.#log.info(joinedExisting ? 'Session: another viewer link issued' : `Session started; link valid for ${Math.round(this.#policy.linkTtlMs / 1000)} s`);
    return { ok: true, token: minted.value, expiresInMs: this.#policy.linkTtlMs, joinedExisting };
  }

  /**
   * Cheap, non-consuming check used before any expensive work: does this credential open
   * a link ('link': unused token, 'resume': a bound link's resume secret)? null otherwise.
   */
  check(credential: string): 'link' | 'resume' | null {
    return findCredential(this.#session, hashCredential(credential), this.#clock.now())?.kind ?? null;
  }

  /**
   * Binds a viewer to the link the credential opens, synchronously. A link token binds an
   * unused link and mints a resume secret; a resume secret rebinds its link to the new
   * viewer and closes the old one. Refused (ok: false) when the link was taken meanwhile,
   * expired, or the session ended: the caller then closes `viewer` itself.
   */
  bind(credential: string, viewer: ViewerConnection): BindResult {
    const hash = hashCredential(credential);
    const kind = findCredential(this.#session, hash, this.#clock.now())?.kind;
    if (!kind) return { ok: false };
    let resumeSecret = credential;
    let r: TransitionResult;
    if (kind === 'link') {
      const minted = mintCredential();
      resumeSecret = minted.value;
      r = this.#apply({ type: 'claim', tokenHash: hash, viewerId: viewer.id, resumeHash: minted.hash }, false);
    } else {
      r = this.#apply({ type: 'resume', resumeHash: hash, viewerId: viewer.id }, false);
    }
    if (!r.ok) return { ok: false };
    this.#viewers.set(viewer.id, viewer);
    viewer.onClosed(() => this.#viewerClosed(viewer.id));
    if (viewer.state === 'closed') this.#viewerClosed(viewer.id);
    const s = this.snapshot();
    this.#log.info(kind === 'link' ? `Viewer joined (${s.viewers} of ${s.maxViewers ?? 0})` : 'Viewer resumed after a dropped connection');
    this.#emit();
    return { ok: true, kind, resumeSecret };
  }

  /** Ends one viewer for good (WHEP DELETE): closes it and revokes its link. False if unknown. */
  hangUp(viewerId: string): boolean {
    const r = this.#apply({ type: 'hang-up', viewerId });
    if (r.ok) this.#log.info('Viewer left (link revoked)');
    return r.ok;
  }

  /**
   * Calls `onEnded` once when the link this viewer is bound to can no longer show video
   * (session ended, viewer hung up). Follows the link, not the connection, so a resumed
   * viewer's page keeps its subscription. Returns an unsubscribe, or null if the viewer is unknown.
   */
  watchViewer(viewerId: string, onEnded: () => void): (() => void) | null {
    const linkId = linkIdOfViewer(this.#session, viewerId);
    if (linkId === null) return null;
    let set = this.#linkWatchers.get(linkId);
    if (!set) this.#linkWatchers.set(linkId, (set = new Set()));
    set.add(onEnded);
    return () => {
      set.delete(onEnded);
    };
  }

  /**
   * Ends the session: every link revoked, every viewer closed, every page told, and all
   * hashes dropped. Idempotent. Resolves when the viewers' close() calls have settled.
   */
  async end(reason = 'session ended'): Promise<void> {
    if (this.#session.state !== SessionState.active) return;
    const closing: Promise<void>[] = [];
    this.#apply({ type: 'end', reason }, true, closing);
    for (const cancel of this.#expiryTimers) cancel();
    this.#expiryTimers.clear();
    this.#linkWatchers.clear();
    this.#viewers.clear();
    this.#log.info(`Session ended (${reason})`);
    await Promise.allSettled(closing);
  }

  /** ended → idle (the cart's "ready for the next patient"). No-op while active. */
  clear(): void {
    this.#apply({ type: 'clear' });
  }

  snapshot(): SessionSnapshot {
    return snapshotOf(this.#session, this.#clock.now());
  }

  /** Called after every change with the new snapshot (counts only). Returns an unsubscribe. */
  onChange(listener: (snapshot: SessionSnapshot) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /** Cancels timers (for shutdown after `end()`); does not close viewers. */
  dispose(): void {
    for (const cancel of this.#expiryTimers) cancel();
    this.#expiryTimers.clear();
    this.#changeListeners.clear();
  }

  #viewerClosed(viewerId: string): void {
    this.#viewers.delete(viewerId);
    const r = this.#apply({ type: 'viewer-closed', viewerId });
    if (r.ok) this.#log.info('Viewer connection dropped; its link stays open for a resume');
  }

  /** Runs one transition and its effects; close() promises are collected into `closing`. */
  #apply(event: SessionEvent, emit = true, closing: Promise<void>[] = []): TransitionResult {
    const before = this.snapshot();
    const r = transition(this.#session, event, this.#clock.now());
    if (!r.ok) return r;
    this.#session = r.session;
    for (const effect of r.effects) {
      if (effect.type === 'close-viewer') {
        const viewer = this.#viewers.get(effect.viewerId);
        this.#viewers.delete(effect.viewerId);
        if (viewer) closing.push(viewer.close(effect.reason).catch((err: unknown) => this.#log.warn(`Closing a viewer failed: ${String(err)}`)));
      } else {
        const watchers = this.#linkWatchers.get(effect.linkId);
        this.#linkWatchers.delete(effect.linkId);
        for (const w of watchers ?? []) w();
      }
    }
    const after = this.snapshot();
    if (event.type === 'expire' && after.linksOutstanding < before.linksOutstanding) this.#log.info('An unused link expired');
    if (emit) this.#emit();
    return r;
  }

  #emit(): void {
    const s = this.snapshot();
    for (const l of this.#changeListeners) {
      try {
        l(s);
      } catch (err) {
        this.#log.warn(`A session change listener failed: ${String(err)}`);
      }
    }
  }
}
