import { describe, expect, it } from 'vitest';
import {
  idleSession,
  liveLink,
  snapshotOf,
  transition,
  type Session,
  type SessionEffect,
  type SessionEvent,
  type SessionRefusal,
} from './session-lifecycle.js';

const policy = { linkTtlMs: 1_000, maxViewers: 2 };
const T0 = 10_000;

/** A session built by running events from idle; fails the test if any is refused. */
function build(events: readonly [SessionEvent, number][]): Session {
  let s: Session = idleSession;
  for (const [e, now] of events) {
    const r = transition(s, e, now);
    if (!r.ok) throw new Error(`setup event ${e.type} refused: ${r.refusal}`);
    s = r.session;
  }
  return s;
}

const start: [SessionEvent, number] = [{ type: 'start', sessionId: 's1', policy, link: { id: 'L1' } }, T0];
const claim1: [SessionEvent, number] = [{ type: 'claim', linkId: 'L1', viewerId: 'v1' }, T0 + 10];
const active = build([start]);
const bound = build([start, claim1]);
const ended = build([start, claim1, [{ type: 'end', reason: 'done' }, T0 + 20]]);

interface Case {
  name: string;
  from: Session;
  event: SessionEvent;
  now: number;
  expect:
    | { refusal: SessionRefusal }
    | { state: Session['state']; links?: string[]; effects?: SessionEffect[] };
}

/** Link states as "id:state[:viewer]" for compact expectations. */
const linkSummary = (s: Session): string[] =>
  s.state === 'active' ? s.links.map((l) => `${l.id}:${l.state}${l.state === 'bound' ? `:${l.viewerId ?? '-'}` : ''}`) : [];

const cases: Case[] = [
  { name: 'start from idle issues one unused link', from: idleSession, event: start[0], now: T0, expect: { state: 'active', links: ['L1:unused'] } },
  { name: 'start while active is refused (manager adds a link instead)', from: active, event: start[0], now: T0, expect: { refusal: 'already-active' } },
  { name: 'start again after end', from: ended, event: start[0], now: T0 + 30, expect: { state: 'active', links: ['L1:unused'] } },
  { name: 'add-link with room', from: active, event: { type: 'add-link', link: { id: 'L2' } }, now: T0 + 1, expect: { state: 'active', links: ['L1:unused', 'L2:unused'] } },
  {
    name: 'add-link when every place is held by unused links replaces them all (the press after "it did not scan")',
    from: build([start, [{ type: 'add-link', link: { id: 'L2' } }, T0]]),
    event: { type: 'add-link', link: { id: 'L3' } },
    now: T0 + 1,
    expect: { state: 'active', links: ['L1:revoked', 'L2:revoked', 'L3:unused'], effects: [{ type: 'link-ended', linkId: 'L1' }, { type: 'link-ended', linkId: 'L2' }] },
  },
  {
    name: 'add-link when one place is bound and one unused replaces only the unused link',
    from: build([start, claim1, [{ type: 'add-link', link: { id: 'L2' } }, T0 + 20]]),
    event: { type: 'add-link', link: { id: 'L3' } },
    now: T0 + 30,
    expect: { state: 'active', links: ['L1:bound:v1', 'L2:revoked', 'L3:unused'], effects: [{ type: 'link-ended', linkId: 'L2' }] },
  },
  {
    name: 'add-link with maxViewers 1 and the one link unused replaces it',
    from: build([[{ type: 'start', sessionId: 's1', policy: { linkTtlMs: 1_000, maxViewers: 1 }, link: { id: 'L1' } }, T0]]),
    event: { type: 'add-link', link: { id: 'L2' } },
    now: T0 + 1,
    expect: { state: 'active', links: ['L1:revoked', 'L2:unused'], effects: [{ type: 'link-ended', linkId: 'L1' }] },
  },
  {
    name: 'add-link when every place is bound to a device is refused',
    from: build([start, claim1, [{ type: 'add-link', link: { id: 'L2' } }, T0 + 20], [{ type: 'claim', linkId: 'L2', viewerId: 'v2' }, T0 + 25]]),
    event: { type: 'add-link', link: { id: 'L3' } },
    now: T0 + 30,
    expect: { refusal: 'session-full' },
  },
  {
    name: 'a device whose connection dropped still holds its place (it may resume)',
    from: build([
      start, claim1, [{ type: 'add-link', link: { id: 'L2' } }, T0 + 20],
      [{ type: 'claim', linkId: 'L2', viewerId: 'v2' }, T0 + 25], [{ type: 'viewer-closed', viewerId: 'v2' }, T0 + 26],
    ]),
    event: { type: 'add-link', link: { id: 'L3' } },
    now: T0 + 30,
    expect: { refusal: 'session-full' },
  },
  {
    name: 'an expired unused link frees its place',
    from: build([start, [{ type: 'add-link', link: { id: 'L2' } }, T0 + 500]]),
    event: { type: 'add-link', link: { id: 'L3' } },
    now: T0 + 1_000,
    expect: { state: 'active', links: ['L1:unused', 'L2:unused', 'L3:unused'] },
  },
  { name: 'add-link with no session', from: idleSession, event: { type: 'add-link', link: { id: 'L2' } }, now: T0, expect: { refusal: 'not-active' } },
  { name: 'claim an unused link binds it', from: active, event: claim1[0], now: T0 + 999, expect: { state: 'active', links: ['L1:bound:v1'] } },
  { name: 'claim at the expiry instant is refused', from: active, event: claim1[0], now: T0 + 1_000, expect: { refusal: 'link-invalid' } },
  { name: 'claim a used link is refused', from: bound, event: { ...claim1[0], viewerId: 'v2' } as SessionEvent, now: T0 + 11, expect: { refusal: 'link-invalid' } },
  { name: 'claim an unknown link is refused', from: active, event: { type: 'claim', linkId: 'nope', viewerId: 'v2' }, now: T0, expect: { refusal: 'link-invalid' } },
  { name: 'claim with no session is refused the same way', from: idleSession, event: claim1[0], now: T0, expect: { refusal: 'link-invalid' } },
  { name: 'claim after end is refused the same way', from: ended, event: claim1[0], now: T0 + 30, expect: { refusal: 'link-invalid' } },
  {
    name: 'resume moves the link to a new resource, closes the old viewer and tells its stream',
    from: bound,
    event: { type: 'resume', linkId: 'L1', viewerId: 'v2' },
    now: T0 + 50_000,
    expect: {
      state: 'active',
      links: ['L1:bound:v2'],
      effects: [
        { type: 'resource-replaced', linkId: 'L1', resource: 'v1' },
        { type: 'close-viewer', viewerId: 'v1', reason: 'replaced by a resumed connection' },
      ],
    },
  },
  {
    name: 'resume after the connection dropped closes nothing, but the old resource still hears "replaced"',
    from: build([start, claim1, [{ type: 'viewer-closed', viewerId: 'v1' }, T0 + 20]]),
    event: { type: 'resume', linkId: 'L1', viewerId: 'v2' },
    now: T0 + 30,
    expect: { state: 'active', links: ['L1:bound:v2'], effects: [{ type: 'resource-replaced', linkId: 'L1', resource: 'v1' }] },
  },
  { name: 'resume of an unused link is refused (a claim is needed first)', from: active, event: { type: 'resume', linkId: 'L1', viewerId: 'v2' }, now: T0, expect: { refusal: 'link-invalid' } },
  { name: 'resume after end is refused', from: ended, event: { type: 'resume', linkId: 'L1', viewerId: 'v2' }, now: T0 + 30, expect: { refusal: 'link-invalid' } },
  { name: 'viewer-closed keeps the link bound for a resume', from: bound, event: { type: 'viewer-closed', viewerId: 'v1' }, now: T0 + 20, expect: { state: 'active', links: ['L1:bound:-'] } },
  { name: 'viewer-closed for a replaced viewer is ignored', from: bound, event: { type: 'viewer-closed', viewerId: 'old' }, now: T0 + 20, expect: { refusal: 'viewer-not-found' } },
  {
    name: 'hang-up revokes the link and closes the viewer',
    from: bound,
    event: { type: 'hang-up', linkId: 'L1' },
    now: T0 + 20,
    expect: {
      state: 'active',
      links: ['L1:revoked'],
      effects: [
        { type: 'close-viewer', viewerId: 'v1', reason: 'viewer hung up' },
        { type: 'link-ended', linkId: 'L1' },
      ],
    },
  },
  { name: 'hang-up of an unknown link', from: bound, event: { type: 'hang-up', linkId: 'zz' }, now: T0 + 20, expect: { refusal: 'viewer-not-found' } },
  { name: 'hang-up of an unused link (nobody holds it)', from: active, event: { type: 'hang-up', linkId: 'L1' }, now: T0 + 20, expect: { refusal: 'viewer-not-found' } },
  { name: 'expire before the deadline keeps the link', from: active, event: { type: 'expire' }, now: T0 + 999, expect: { state: 'active', links: ['L1:unused'] } },
  { name: 'expire at the deadline revokes the link (its keys are dropped)', from: active, event: { type: 'expire' }, now: T0 + 1_000, expect: { state: 'active', links: ['L1:revoked'], effects: [{ type: 'link-ended', linkId: 'L1' }] } },
  { name: 'expire never touches a bound link', from: bound, event: { type: 'expire' }, now: T0 + 99_000, expect: { state: 'active', links: ['L1:bound:v1'] } },
  {
    name: 'end closes live viewers and ends every open link',
    from: build([start, claim1, [{ type: 'add-link', link: { id: 'L2' } }, T0 + 20]]),
    event: { type: 'end', reason: 'sonographer ended the session' },
    now: T0 + 30,
    expect: {
      state: 'ended',
      effects: [
        { type: 'close-viewer', viewerId: 'v1', reason: 'sonographer ended the session' },
        { type: 'link-ended', linkId: 'L1' },
        { type: 'link-ended', linkId: 'L2' },
      ],
    },
  },
  { name: 'end when idle is a no-op', from: idleSession, event: { type: 'end', reason: 'x' }, now: T0, expect: { state: 'idle', effects: [] } },
  { name: 'clear after end returns to idle', from: ended, event: { type: 'clear' }, now: T0, expect: { state: 'idle' } },
  { name: 'clear while active is refused', from: active, event: { type: 'clear' }, now: T0, expect: { refusal: 'already-active' } },
];

describe('transition', () => {
  it.each(cases)('$name', (c) => {
    const r = transition(c.from, c.event, c.now);
    if ('refusal' in c.expect) {
      expect(r.ok ? 'accepted' : r.refusal).toBe(c.expect.refusal);
      expect(r.session).toBe(c.from);
      return;
    }
    if (!r.ok) throw new Error(`refused: ${r.refusal}`);
    expect(r.session.state).toBe(c.expect.state);
    if (c.expect.links) expect(linkSummary(r.session)).toEqual(c.expect.links);
    if (c.expect.effects) expect(r.effects).toEqual(c.expect.effects);
  });
});

describe('liveLink and snapshotOf', () => {
  it.each([
    { name: 'unused link', session: active, id: 'L1', now: T0, found: 'unused' },
    { name: 'expired link', session: active, id: 'L1', now: T0 + 1_000, found: null },
    { name: 'bound link', session: bound, id: 'L1', now: T0 + 11, found: 'bound' },
    { name: 'a bound link never expires', session: bound, id: 'L1', now: T0 + 99_000, found: 'bound' },
    { name: 'unknown id', session: bound, id: 'L9', now: T0 + 11, found: null },
    { name: 'anything after end', session: ended, id: 'L1', now: T0 + 30, found: null },
    { name: 'a replaced link', session: build([start, [{ type: 'add-link', link: { id: 'L2' } }, T0], [{ type: 'add-link', link: { id: 'L3' } }, T0 + 1]]), id: 'L1', now: T0 + 2, found: null },
  ])('$name → $found', ({ session, id, now, found }) => {
    expect(liveLink(session, id, now)?.state ?? null).toBe(found);
  });

  it.each([
    { name: 'idle', session: idleSession, now: T0, snap: { state: 'idle', viewers: 0, reconnecting: 0, linksOutstanding: 0, maxViewers: null, viewerChanges: 0 } },
    { name: 'one link out', session: active, now: T0, snap: { state: 'active', viewers: 0, reconnecting: 0, linksOutstanding: 1, maxViewers: 2, viewerChanges: 0 } },
    { name: 'link out but expired', session: active, now: T0 + 1_000, snap: { state: 'active', viewers: 0, reconnecting: 0, linksOutstanding: 0, maxViewers: 2, viewerChanges: 0 } },
    { name: 'one viewer', session: bound, now: T0 + 11, snap: { state: 'active', viewers: 1, reconnecting: 0, linksOutstanding: 0, maxViewers: 2, viewerChanges: 0 } },
    {
      name: 'viewer dropped',
      session: transition(bound, { type: 'viewer-closed', viewerId: 'v1' }, T0 + 12).session,
      now: T0 + 12,
      snap: { state: 'active', viewers: 0, reconnecting: 1, linksOutstanding: 0, maxViewers: 2, viewerChanges: 0 },
    },
    {
      name: 'after a resume',
      session: transition(bound, { type: 'resume', linkId: 'L1', viewerId: 'v2' }, T0 + 12).session,
      now: T0 + 12,
      snap: { state: 'active', viewers: 1, reconnecting: 0, linksOutstanding: 0, maxViewers: 2, viewerChanges: 1 },
    },
  ])('snapshot: $name', ({ session, now, snap }) => {
    expect(snapshotOf(session, now)).toEqual(snap);
  });
});
