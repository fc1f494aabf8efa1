/**
 * SessionManager: the stateful shell around the pure lifecycle. It owns the clock, the
 * expiry timers, the live ViewerConnection objects, each link's credential (its keys and
 * replay window, credentials/link-credential.ts; RAM only) and the listeners; every change
 * goes through `transition()` and its effects are carried out here.
 *
 * Claiming is atomic because `claim()` is synchronous: two verified requests for one link
 * may both build an answer, but only the first `claim()` finds the link unused; the other
 * is refused and must close its pending viewer.
 */
import type { ViewerConnection } from '../webrtc/viewer-connection.js';
import { claimable, type LinkCredential } from '../credentials/link-credential.js';
import { mintLink, wipe } from '../credentials/link-keys.js';
import { randomId } from './link-token.js';
import {
  idleSession,
  linkIdOfResource,
  liveLink,
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

/** What a page's event stream hears when its resource stops: the link is over, or a resume moved it. */
export type ResourceEnd = 'ended' | 'replaced';

const silentLog: EventLog = { info: () => {}, warn: () => {} };

export class SessionManager {
  readonly #policy: SessionPolicy;
  readonly #clock: SessionClock;
  readonly #log: EventLog;
  #session: Session = idleSession;
  readonly #viewers = new Map<string, ViewerConnection>();
  /** Each live link's credential, by link id. Wiped and dropped when the link ends. */
  readonly #credentials = new Map<string, LinkCredential>();
  readonly #linkWatchers = new Map<string, Set<{ readonly resource: string; readonly onEnd: (why: ResourceEnd) => void }>>();
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
    const minted = mintLink();
    const link = { id: minted.secrets.linkId };
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
    this.#credentials.set(link.id, claimable(minted.secrets));
    const replaced = r.effects.filter((e) => e.type === 'link-ended').length;
    if (replaced > 0) this.#log.info(`Session: ${replaced === 1 ? 'the unused link was' : `${replaced} unused links were`} replaced by a new one`);
    const cancel = this.#clock.schedule(() => {
      this.#expiryTimers.delete(cancel);
      this.#apply({ type: 'expire' });
    }, this.#policy.linkTtlMs);
    this.#expiryTimers.add(cancel);
    this.#log.info(joinedExisting ? 'Session: another viewer link issued' : `Session started; link valid for ${Math.round(this.#policy.linkTtlMs / 1000)} s`);
    return { ok: true, token: minted.token, expiresInMs: this.#policy.linkTtlMs, joinedExisting };
  }

  /**
   * The credential of a live link (unused and unexpired, or bound), to check a request
   * against; undefined for anything else. Link ids are public: this finds, it proves nothing.
   */
  credentialOf(linkId: string): LinkCredential | undefined {
    return liveLink(this.#session, linkId, this.#clock.now()) === null ? undefined : this.#credentials.get(linkId);
  }

  /**
   * Stores a link's credential after a request checked out (its replay window moved, or a
   * claim made device keys). Call it synchronously after `accept`, before any await, so a
   * copy of the same request in flight is refused. Ignored once the link is gone.
   */
  storeCredential(linkId: string, credential: LinkCredential): void {
    if (this.credentialOf(linkId) !== undefined) this.#credentials.set(linkId, credential);
  }

  /**
   * Binds a viewer to the unused link `linkId`, synchronously. False when the link was
   * taken meanwhile, expired, or the session ended: the caller then closes `viewer` itself.
   */
  claim(linkId: string, viewer: ViewerConnection): boolean {
    return this.#bind({ type: 'claim', linkId, viewerId: viewer.id }, viewer, 'link');
  }

  /**
   * Moves the bound link `linkId` to a new viewer (a resume): the new viewer's id becomes the
   * resource, the old viewer is closed and its event stream hears "replaced". The caller
   * decided the old connection is no longer heard (resume-guard.ts).
   */
  resume(linkId: string, viewer: ViewerConnection): boolean {
    return this.#bind({ type: 'resume', linkId, viewerId: viewer.id }, viewer, 'resume');
  }

  /** The viewer connection a bound link is on now, if it has one. */
  viewerOfLink(linkId: string): ViewerConnection | undefined {
    const link = liveLink(this.#session, linkId, this.#clock.now());
    return link?.state === 'bound' && link.viewerId !== null ? this.#viewers.get(link.viewerId) : undefined;
  }

  /** The link whose current WHEP resource is `resource`, or null. */
  linkOfResource(resource: string): string | null {
    return linkIdOfResource(this.#session, resource);
  }

  /** Ends one bound link for good (WHEP DELETE): closes its viewer and revokes it. False if not bound. */
  hangUp(linkId: string): boolean {
    const r = this.#apply({ type: 'hang-up', linkId });
    if (r.ok) this.#log.info('Viewer left (link revoked)');
    return r.ok;
  }

  /**
   * Calls `onEnd` once when `resource` stops: 'ended' when its link can no longer show
   * video (session ended, viewer left), 'replaced' when a resume moved the link to a new
   * resource. Follows the resource, not the connection, so a dropped connection's page
   * keeps its stream until it resumes. Returns an unsubscribe, or null for an unknown resource.
   */
  watchResource(resource: string, onEnd: (why: ResourceEnd) => void): (() => void) | null {
    const linkId = linkIdOfResource(this.#session, resource);
    if (linkId === null) return null;
    let set = this.#linkWatchers.get(linkId);
    if (!set) this.#linkWatchers.set(linkId, (set = new Set()));
    const entry = { resource, onEnd };
    set.add(entry);
    return () => {
      set.delete(entry);
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
    for (const c of this.#credentials.values()) wipe(c.keys);
    this.#credentials.clear();
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

  #bind(event: SessionEvent, viewer: ViewerConnection, kind: 'link' | 'resume'): boolean {
    const r = this.#apply(event, false);
    if (!r.ok) return false;
    this.#viewers.set(viewer.id, viewer);
    viewer.onClosed(() => this.#viewerClosed(viewer.id));
    if (viewer.state === 'closed') this.#viewerClosed(viewer.id);
    const s = this.snapshot();
    this.#log.info(kind === 'link' ? `Viewer joined (${s.viewers} of ${s.maxViewers ?? 0})` : 'Viewer resumed on a new connection (the old one was no longer heard)');
    this.#emit();
    return true;
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
      } else if (effect.type === 'resource-replaced') {
        const watchers = this.#linkWatchers.get(effect.linkId);
        for (const w of [...(watchers ?? [])].filter((w) => w.resource === effect.resource)) {
          watchers?.delete(w);
          w.onEnd('replaced');
        }
      } else {
        const watchers = this.#linkWatchers.get(effect.linkId);
        this.#linkWatchers.delete(effect.linkId);
        const credential = this.#credentials.get(effect.linkId);
        this.#credentials.delete(effect.linkId);
        if (credential) wipe(credential.keys);
        for (const w of watchers ?? []) w.onEnd('ended');
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
