/**
 * The session lifecycle as pure data: `transition(session, event, now)` returns the next
 * session and the effects the caller must carry out (close a viewer, tell a page its
 * stream ended or moved). No clock, timer, crypto or I/O in here; `now` is a monotonic
 * millisecond reading. Links are named by their public link id (credentials/link-keys.ts):
 * what proves a request belongs to a link is checked by the caller, which keeps the keys.
 *
 *   session:  idle ──start──▶ active ──end──▶ ended ──clear──▶ idle   (ended ──start──▶ active)
 *   link:     unused ──claim──▶ bound ──(hang-up | end)──▶ revoked
 *             unused ──(expire | end | replaced)──▶ revoked;  bound ──resume──▶ bound (new resource)
 *
 * A link is asked for (add-link) when every place is held: if some are held only by
 * unused links, those are replaced: revoked, and the new link takes a place. An unused
 * link is a QR code nobody has scanned yet; the sonographer's second press means "that one
 * did not work". Only when every place is bound to a device is the new link refused.
 *
 * An unused link past `expiresAt` is dead even before the `expire` sweep runs: every
 * lookup checks `now`. A revoked link keeps only its id; ending the session drops all links.
 */
export const SessionState = { idle: 'idle', active: 'active', ended: 'ended' } as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

export const LinkState = { unused: 'unused', bound: 'bound', revoked: 'revoked' } as const;
export type LinkState = (typeof LinkState)[keyof typeof LinkState];

export type Link =
  | { readonly id: string; readonly state: typeof LinkState.unused; readonly expiresAt: number }
  | {
      readonly id: string;
      readonly state: typeof LinkState.bound;
      /** The WHEP resource id the page addresses (its last viewer's id); a resume makes a new one. */
      readonly resource: string;
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
  | {
      readonly state: typeof SessionState.active;
      readonly id: string;
      readonly policy: SessionPolicy;
      readonly links: readonly Link[];
      /** Resumes that moved a link to a new connection: the watching device may have changed. */
      readonly viewerChanges: number;
    }
  | { readonly state: typeof SessionState.ended; readonly reason: string };

/** A link about to be issued: its public link id (derived from the token in the URL). */
export interface NewLink {
  readonly id: string;
}

export type SessionEvent =
  | { readonly type: 'start'; readonly sessionId: string; readonly policy: SessionPolicy; readonly link: NewLink }
  | { readonly type: 'add-link'; readonly link: NewLink }
  | { readonly type: 'claim'; readonly linkId: string; readonly viewerId: string }
  | { readonly type: 'resume'; readonly linkId: string; readonly viewerId: string }
  | { readonly type: 'viewer-closed'; readonly viewerId: string }
  /** The page that holds the link leaves (WHEP DELETE of its resource). */
  | { readonly type: 'hang-up'; readonly linkId: string }
  | { readonly type: 'expire' }
  | { readonly type: 'end'; readonly reason: string }
  | { readonly type: 'clear' };

export type SessionEffect =
  /** Close this viewer's peer connection (it was replaced, hung up, or the session ended). */
  | { readonly type: 'close-viewer'; readonly viewerId: string; readonly reason: string }
  /** This link can never show video again: tell its page (SSE) the session is over for it, drop its keys. */
  | { readonly type: 'link-ended'; readonly linkId: string }
  /** A resume moved the link to a new resource: the old resource's event stream says "replaced". */
  | { readonly type: 'resource-replaced'; readonly linkId: string; readonly resource: string };

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

/**
 * The link `linkId` names, if it can still be used: unused and unexpired (a claim), or
 * bound (a resume, the events, a leave). Null for unknown, expired, revoked or no session.
 */
export function liveLink(session: Session, linkId: string, now: number): (Link & { state: 'unused' | 'bound' }) | null {
  if (session.state !== SessionState.active) return null;
  const link = session.links.find((l) => l.id === linkId);
  if (link === undefined || link.state === LinkState.revoked) return null;
  if (link.state === LinkState.unused && now >= link.expiresAt) return null;
  return link;
}

/** The one place a session changes. Pure: same inputs, same result. */
export function transition(session: Session, event: SessionEvent, now: number): TransitionResult {
  switch (event.type) {
    case 'start': {
      if (session.state === SessionState.active) return refuse(session, SessionRefusal.alreadyActive);
      return ok({ state: SessionState.active, id: event.sessionId, policy: event.policy, links: [unusedLink(event.link, event.policy, now)], viewerChanges: 0 });
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
      const link = liveLink(session, event.linkId, now);
      if (session.state !== SessionState.active || link?.state !== LinkState.unused) return refuse(session, SessionRefusal.linkInvalid);
      return ok(replaceLink(session, link.id, { id: link.id, state: LinkState.bound, resource: event.viewerId, viewerId: event.viewerId }));
    }
    case 'resume': {
      const link = liveLink(session, event.linkId, now);
      if (session.state !== SessionState.active || link?.state !== LinkState.bound) return refuse(session, SessionRefusal.linkInvalid);
      const effects: SessionEffect[] = [{ type: 'resource-replaced', linkId: link.id, resource: link.resource }];
      if (link.viewerId !== null) effects.push({ type: 'close-viewer', viewerId: link.viewerId, reason: 'replaced by a resumed connection' });
      const next = replaceLink(session, link.id, { ...link, resource: event.viewerId, viewerId: event.viewerId });
      return ok({ ...next, viewerChanges: session.viewerChanges + 1 }, effects);
    }
    case 'viewer-closed': {
      // The connection dropped on its own (ICE failure, page closed): the link stays bound
      // so the same phone can resume with its secret.
      const link = boundLinkOf(session, event.viewerId);
      if (session.state !== SessionState.active || !link) return refuse(session, SessionRefusal.viewerNotFound);
      return ok(replaceLink(session, link.id, { ...link, viewerId: null }));
    }
    case 'hang-up': {
      const link = session.state === SessionState.active ? session.links.find((l) => l.id === event.linkId) : undefined;
      if (session.state !== SessionState.active || link?.state !== LinkState.bound) return refuse(session, SessionRefusal.viewerNotFound);
      const effects: SessionEffect[] = link.viewerId === null ? [] : [{ type: 'close-viewer', viewerId: link.viewerId, reason: 'viewer hung up' }];
      return ok(replaceLink(session, link.id, { id: link.id, state: LinkState.revoked }), [...effects, { type: 'link-ended', linkId: link.id }]);
    }
    case 'expire': {
      if (session.state !== SessionState.active) return ok(session);
      const links = session.links.map((l): Link => (l.state === LinkState.unused && now >= l.expiresAt ? { id: l.id, state: LinkState.revoked } : l));
      const expired = links.filter((l, i) => l !== session.links[i]).map((l): SessionEffect => ({ type: 'link-ended', linkId: l.id }));
      return ok(expired.length > 0 ? { ...session, links } : session, expired);
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
  return { id: link.id, state: LinkState.unused, expiresAt: now + policy.linkTtlMs };
}

function replaceLink(session: Session & { state: 'active' }, id: string, next: Link): Session & { state: 'active' } {
  return { ...session, links: session.links.map((l) => (l.id === id ? next : l)) };
}

/** The id of the bound link whose current resource is `resource`, if any. */
export function linkIdOfResource(session: Session, resource: string): string | null {
  if (session.state !== SessionState.active) return null;
  for (const l of session.links) if (l.state === LinkState.bound && l.resource === resource) return l.id;
  return null;
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
  /** Times a resume moved a link to a new connection in this session (the cart says "device changed"). */
  readonly viewerChanges: number;
}

export function snapshotOf(session: Session, now: number): SessionSnapshot {
  if (session.state !== SessionState.active) return { state: session.state, viewers: 0, reconnecting: 0, linksOutstanding: 0, maxViewers: null, viewerChanges: 0 };
  let viewers = 0;
  let reconnecting = 0;
  let linksOutstanding = 0;
  for (const l of session.links) {
    if (l.state === LinkState.bound) {
      if (l.viewerId === null) reconnecting++;
      else viewers++;
    } else if (l.state === LinkState.unused && now < l.expiresAt) linksOutstanding++;
  }
  return { state: session.state, viewers, reconnecting, linksOutstanding, maxViewers: session.policy.maxViewers, viewerChanges: session.viewerChanges };
}
