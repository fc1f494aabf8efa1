/**
 * The session lifecycle as pure data: `transition(session, event, now)` returns the next
 * session and the effects the caller must carry out (close a viewer, tell a link's page
 * it ended). No clock, timer, crypto or I/O in here; `now` is a monotonic millisecond
 * reading and all credentials arrive already hashed.
 *
 *   session:  idle ──start──▶ active ──end──▶ ended ──clear──▶ idle   (ended ──start──▶ active)
 *   link:     unused ──claim──▶ bound ──(hang-up | end)──▶ revoked
 *             unused ──(expire | end | replaced)──▶ revoked;  bound ──resume──▶ bound (viewer replaced)
 *
 * A link is asked for (add-link) when every place is held: if some are held only by
 * unused links, those are replaced: revoked, and the new link takes a place. An unused
 * link is a QR code nobody has scanned yet; the sonographer's second press means "that one
 * did not work". Only when every place is bound to a device is the new link refused.
 *
 * An unused link past `expiresAt` is dead even before the `expire` sweep runs: every
 * lookup checks `now`. A revoked link keeps only its id; ending the session drops all links,
 * so no token or resume hash outlives the session.
 */
import type { CredentialHash } from './link-token.js';

export const SessionState = { idle: 'idle', active: 'active', ended: 'ended' } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

export const LinkState = { unused: 'unused', bound: 'bound', revoked: 'revoked' } as const;
export type LinkState = (typeof LinkState)[keyof typeof LinkState];

export type Link =
  | { readonly id: string; readonly state: typeof LinkState.unused; readonly tokenHash: CredentialHash; readonly expiresAt: number }
  | {
      readonly id: string;
      readonly state: typeof LinkState.bound;
      readonly resumeHash: CredentialHash;
      /** The live viewer, or null after its connection dropped (the link can still be resumed). */
      readonly viewerId: string | null;
    }
  | { readonly id: string; readonly state: typeof LinkState.revoked };

export interface SessionPolicy {
  /** An unused link dies this long after it was issued. */
  readonly linkTtlMs: number;
  /** Links that may be unused-and-alive or bound at once (devices watching one session). */
  readonly maxViewers: number;
}

export type Session =
  | { readonly state: typeof SessionState.idle }
  | { readonly state: typeof SessionState.active; readonly id: string; readonly policy: SessionPolicy; readonly links: readonly Link[] }
  | { readonly state: typeof SessionState.ended; readonly reason: string };

/** A link about to be issued: its id and the hash of the token that goes into the URL. */
export interface NewLink {
  readonly id: string;
  readonly tokenHash: CredentialHash;
}

export type SessionEvent =
  | { readonly type: 'start'; readonly sessionId: string; readonly policy: SessionPolicy; readonly link: NewLink }
  | { readonly type: 'add-link'; readonly link: NewLink }
  | { readonly type: 'claim'; readonly tokenHash: CredentialHash; readonly viewerId: string; readonly resumeHash: CredentialHash }
  | { readonly type: 'resume'; readonly resumeHash: CredentialHash; readonly viewerId: string }
  | { readonly type: 'viewer-closed'; readonly viewerId: string }
  | { readonly type: 'hang-up'; readonly viewerId: string }
  | { readonly type: 'expire' }
  | { readonly type: 'end'; readonly reason: string }
  | { readonly type: 'clear' };

export type SessionEffect =
  /** Close this viewer's peer connection (it was replaced, hung up, or the session ended). */
  | { readonly type: 'close-viewer'; readonly viewerId: string; readonly reason: string }
  /** This link can never show video again: tell its page (SSE) the session is over for it. */
  | { readonly type: 'link-ended'; readonly linkId: string };

/**
 * Why an event was refused. `link-invalid` deliberately covers unknown, used, expired and
 * "no session" alike: the caller must not be able to tell them apart.
 */
export const SessionRefusal = {
  linkInvalid: 'link-invalid',
  /** Every place is bound to a device that joined (watching or reconnecting). */
  sessionFull: 'session-full',
  alreadyActive: 'already-active',
  notActive: 'not-active',
  viewerNotFound: 'viewer-not-found',
} as const;
export type SessionRefusal = (typeof SessionRefusal)[keyof typeof SessionRefusal];

export type TransitionResult =
  | { readonly ok: true; readonly session: Session; readonly effects: readonly SessionEffect[] }
  | { readonly ok: false; readonly session: Session; readonly refusal: SessionRefusal };

export const idleSession: Session = { state: SessionState.idle };

const ok = (session: Session, effects: readonly SessionEffect[] = []): TransitionResult => ({ ok: true, session, effects });
const refuse = (session: Session, refusal: SessionRefusal): TransitionResult => ({ ok: false, session, refusal });

/** True while a link holds one of the session's `maxViewers` places. */
export function linkHoldsPlace(link: Link, now: number): boolean {
  return link.state === LinkState.bound || (link.state === LinkState.unused && now < link.expiresAt);
}

/** The kind of credential a hash belongs to, found without changing anything. */
export type CredentialMatch = { readonly kind: 'link' | 'resume'; readonly linkId: string };

/**
 * Finds the live link a credential hash opens: an unexpired unused link's token, or a
 * bound link's resume secret. Scans every link without stopping early, so the cost does
 * not depend on whether or where it matches.
 */
export function findCredential(session: Session, hash: CredentialHash, now: number): CredentialMatch | null {
  if (session.state !== SessionState.active) return null;
  let match: CredentialMatch | null = null;
  for (const link of session.links) {
    if (link.state === LinkState.unused && link.tokenHash === hash && now < link.expiresAt) match = { kind: 'link', linkId: link.id };
    else if (link.state === LinkState.bound && link.resumeHash === hash) match = { kind: 'resume', linkId: link.id };
  }
  return match;
}

/** The one place a session changes. Pure: same inputs, same result. */
export function transition(session: Session, event: SessionEvent, now: number): TransitionResult {
  switch (event.type) {
    case 'start': {
      if (session.state === SessionState.active) return refuse(session, SessionRefusal.alreadyActive);
      return ok({ state: SessionState.active, id: event.sessionId, policy: event.policy, links: [unusedLink(event.link, event.policy, now)] });
    }
    case 'add-link': {
      if (session.state !== SessionState.active) return refuse(session, SessionRefusal.notActive);
      const held = session.links.filter((l) => linkHoldsPlace(l, now));
      const fresh = unusedLink(event.link, session.policy, now);
      if (held.length < session.policy.maxViewers) return ok({ ...session, links: [...session.links, fresh] });
      const unused = new Set(held.filter((l) => l.state === LinkState.unused).map((l) => l.id));
      if (unused.size === 0) return refuse(session, SessionRefusal.sessionFull);
      // Every place is held, some only by links nobody has opened: they make way.
      const links = session.links.map((l): Link => (unused.has(l.id) ? { id: l.id, state: LinkState.revoked } : l));
      return ok({ ...session, links: [...links, fresh] }, [...unused].map((linkId): SessionEffect => ({ type: 'link-ended', linkId })));
    }
    case 'claim': {
      if (session.state !== SessionState.active) return refuse(session, SessionRefusal.linkInvalid);
      const match = findCredential(session, event.tokenHash, now);
      if (match?.kind !== 'link') return refuse(session, SessionRefusal.linkInvalid);
      return ok(replaceLink(session, match.linkId, { id: match.linkId, state: LinkState.bound, resumeHash: event.resumeHash, viewerId: event.viewerId }));
    }
    case 'resume': {
      if (session.state !== SessionState.active) return refuse(session, SessionRefusal.linkInvalid);
      const match = findCredential(session, event.resumeHash, now);
      const link = match?.kind === 'resume' ? session.links.find((l) => l.id === match.linkId) : undefined;
      if (link?.state !== LinkState.bound) return refuse(session, SessionRefusal.linkInvalid);
      const effects: SessionEffect[] = link.viewerId === null ? [] : [{ type: 'close-viewer', viewerId: link.viewerId, reason: 'replaced by a resumed connection' }];
      return ok(replaceLink(session, link.id, { ...link, viewerId: event.viewerId }), effects);
    }
    case 'viewer-closed': {
      // The connection dropped on its own (ICE failure, page closed): the link stays bound
      // so the same phone can resume with its secret.
      const link = boundLinkOf(session, event.viewerId);
      if (session.state !== SessionState.active || !link) return refuse(session, SessionRefusal.viewerNotFound);
      return ok(replaceLink(session, link.id, { ...link, viewerId: null }));
    }
    case 'hang-up': {
      const link = boundLinkOf(session, event.viewerId);
      if (session.state !== SessionState.active || !link) return refuse(session, SessionRefusal.viewerNotFound);
      return ok(replaceLink(session, link.id, { id: link.id, state: LinkState.revoked }), [
        { type: 'close-viewer', viewerId: event.viewerId, reason: 'viewer hung up' },
        { type: 'link-ended', linkId: link.id },
      ]);
    }
    case 'expire': {
      if (session.state !== SessionState.active) return ok(session);
      const links = session.links.map((l): Link => (l.state === LinkState.unused && now >= l.expiresAt ? { id: l.id, state: LinkState.revoked } : l));
      const changed = links.some((l, i) => l !== session.links[i]);
      return ok(changed ? { ...session, links } : session);
    }
    case 'end': {
      if (session.state !== SessionState.active) return ok(session);
      const effects: SessionEffect[] = [];
      for (const link of session.links) {
        if (link.state === LinkState.bound && link.viewerId !== null) effects.push({ type: 'close-viewer', viewerId: link.viewerId, reason: event.reason });
        if (link.state !== LinkState.revoked) effects.push({ type: 'link-ended', linkId: link.id });
      }
      return ok({ state: SessionState.ended, reason: event.reason }, effects);
    }
    case 'clear': {
      if (session.state === SessionState.active) return refuse(session, SessionRefusal.alreadyActive);
      return ok(idleSession);
    }
  }
}

function unusedLink(link: NewLink, policy: SessionPolicy, now: number): Link {
  return { id: link.id, state: LinkState.unused, tokenHash: link.tokenHash, expiresAt: now + policy.linkTtlMs };
}

function replaceLink(session: Session & { state: 'active' }, id: string, next: Link): Session {
  return { ...session, links: session.links.map((l) => (l.id === id ? next : l)) };
}

/** The id of the link a live viewer is bound to, if any. */
export function linkIdOfViewer(session: Session, viewerId: string): string | null {
  return boundLinkOf(session, viewerId)?.id ?? null;
}

function boundLinkOf(session: Session, viewerId: string): (Link & { state: 'bound' }) | undefined {
  if (session.state !== SessionState.active) return undefined;
  for (const l of session.links) if (l.state === LinkState.bound && l.viewerId === viewerId) return l;
  return undefined;
}

/** Counts for status and the cart; never a token, hash or viewer id. */
export interface SessionSnapshot {
  readonly state: SessionState;
  /** Links bound to a live viewer connection. */
  readonly viewers: number;
  /** Links bound but whose connection dropped (may resume). */
  readonly reconnecting: number;
  /** Unused links that can still be claimed. */
  readonly linksOutstanding: number;
  readonly maxViewers: number | null;
}

export function snapshotOf(session: Session, now: number): SessionSnapshot {
  if (session.state !== SessionState.active) return { state: session.state, viewers: 0, reconnecting: 0, linksOutstanding: 0, maxViewers: null };
  let viewers = 0;
  let reconnecting = 0;
  let linksOutstanding = 0;
  for (const l of session.links) {
    if (l.state === LinkState.bound) {
      if (l.viewerId === null) reconnecting++;
      else viewers++;
    } else if (l.state === LinkState.unused && now < l.expiresAt) linksOutstanding++;
  }
  return { state: session.state, viewers, reconnecting, linksOutstanding, maxViewers: session.policy.maxViewers };
}
