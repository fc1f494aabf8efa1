import { describe, expect, it } from 'vitest';
import { deriveLinkSecrets } from '../credentials/link-keys.js';
import { FakeClock, FakeViewer } from '../http/test/fake-viewer-factory.js';
import { SessionManager, type ResourceEnd, type SessionSnapshot } from './session-manager.js';

function manager(maxViewers = 1): { m: SessionManager; clock: FakeClock; changes: SessionSnapshot[] } {
  const clock = new FakeClock();
  const m = new SessionManager({ policy: { linkTtlMs: 5_000, maxViewers }, clock });
  const changes: SessionSnapshot[] = [];
  m.onChange((s) => changes.push(s));
  return { m, clock, changes };
}

/** Starts (or adds) a link and returns its public link id, derived from the token as a page would. */
function link(m: SessionManager): string {
  const r = m.start();
  if (!r.ok) throw new Error(r.message);
  return deriveLinkSecrets(r.token)!.linkId;
}

describe('SessionManager', () => {
  it.each([
    { name: 'one place, the link unused: a second start replaces it', maxViewers: 1, second: { ok: true, joinedExisting: true } },
    { name: 'two places, second start joins the session', maxViewers: 2, second: { ok: true, joinedExisting: true } },
  ])('$name', ({ maxViewers, second }) => {
    const { m } = manager(maxViewers);
    expect(m.start()).toMatchObject({ ok: true, joinedExisting: false, expiresInMs: 5_000 });
    expect(m.start()).toMatchObject(second);
  });

  it('a fresh link has a claimable credential under the id its token derives; the box keeps no token', () => {
    const { m } = manager();
    const r = m.start();
    if (!r.ok) throw new Error(r.message);
    const id = deriveLinkSecrets(r.token)!.linkId;
    const c = m.credentialOf(id);
    expect(c?.kind).toBe('claimable');
    expect(JSON.stringify(c)).not.toContain(r.token);
    expect(m.credentialOf('A'.repeat(43))).toBeUndefined();
  });

  it('a replaced link is dead and its keys wiped, its replacement works, and only a place bound to a device refuses', () => {
    const { m } = manager(1);
    const first = link(m);
    const firstKeys = m.credentialOf(first)!.keys;
    const second = link(m);
    expect(m.credentialOf(first)).toBeUndefined();
    expect(firstKeys.request.every((b) => b === 0)).toBe(true);
    expect(m.claim(first, new FakeViewer())).toBe(false);
    expect(m.snapshot()).toMatchObject({ viewers: 0, linksOutstanding: 1 });
    expect(m.claim(second, new FakeViewer())).toBe(true);
    const r = m.start();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('Every viewer place in this session is held by a device that joined (session.maxViewers = 1); end the session to share with another device.');
    expect(m.snapshot()).toMatchObject({ viewers: 1, linksOutstanding: 0 });
  });

  it('claim is one-shot; a resume moves the link to a new resource, tells the old stream "replaced" and counts a viewer change', () => {
    const { m } = manager();
    const id = link(m);
    const a = new FakeViewer();
    expect(m.claim(id, a)).toBe(true);
    expect(m.claim(id, new FakeViewer())).toBe(false);
    expect(m.linkOfResource(a.id)).toBe(id);
    expect(m.viewerOfLink(id)).toBe(a);
    const told: ResourceEnd[] = [];
    m.watchResource(a.id, (why) => told.push(why));
    const b = new FakeViewer();
    expect(m.resume(id, b)).toBe(true);
    expect(a.closeReason).toBe('replaced by a resumed connection');
    expect(told).toEqual(['replaced']);
    expect(m.linkOfResource(a.id)).toBeNull();
    expect(m.linkOfResource(b.id)).toBe(id);
    expect(m.snapshot()).toMatchObject({ viewers: 1, viewerChanges: 1 });
  });

  it('a resume of an unused or unknown link is refused', () => {
    const { m } = manager();
    const id = link(m);
    expect(m.resume(id, new FakeViewer())).toBe(false);
    expect(m.resume('B'.repeat(43), new FakeViewer())).toBe(false);
  });

  it('a viewer that closed before it was bound counts as reconnecting at once', () => {
    const { m } = manager();
    const v = new FakeViewer();
    v.drop('ICE failed early');
    expect(m.claim(link(m), v)).toBe(true);
    expect(m.snapshot()).toMatchObject({ viewers: 0, reconnecting: 1 });
  });

  it('the expiry timer retires the link, wipes its keys and reports the change', () => {
    const { m, clock, changes } = manager();
    const id = link(m);
    const keys = m.credentialOf(id)!.keys;
    clock.advance(4_999);
    expect(m.snapshot().linksOutstanding).toBe(1);
    clock.advance(1);
    expect(m.credentialOf(id)).toBeUndefined();
    expect(keys.response.every((b) => b === 0)).toBe(true);
    expect(changes.at(-1)).toMatchObject({ state: 'active', linksOutstanding: 0 });
  });

  it('end closes viewers, tells watchers once, forgets everything; a new session can start', async () => {
    const { m, changes } = manager(2);
    const a = new FakeViewer();
    const b = new FakeViewer();
    m.claim(link(m), a);
    m.claim(link(m), b);
    const told: string[] = [];
    m.watchResource(a.id, (why) => told.push(`a ${why}`));
    m.watchResource(b.id, (why) => told.push(`b ${why}`));
    await m.end('sonographer ended the session');
    await m.end('twice');
    expect([a.closeReason, b.closeReason]).toEqual(['sonographer ended the session', 'sonographer ended the session']);
    expect(told.sort()).toEqual(['a ended', 'b ended']);
    expect(m.snapshot()).toEqual({ state: 'ended', viewers: 0, reconnecting: 0, linksOutstanding: 0, maxViewers: null, viewerChanges: 0 });
    expect(m.watchResource(a.id, () => {})).toBeNull();
    expect(JSON.stringify(changes)).not.toMatch(/[A-Za-z0-9_-]{43}/);
    m.clear();
    expect(m.snapshot().state).toBe('idle');
    expect(m.start().ok).toBe(true);
  });

  it('hang-up of an unbound link is false; of a bound one closes its viewer and revokes it', () => {
    const { m } = manager();
    const id = link(m);
    expect(m.hangUp(id)).toBe(false);
    const v = new FakeViewer();
    m.claim(id, v);
    expect(m.hangUp(id)).toBe(true);
    expect(v.closeReason).toBe('viewer hung up');
    expect(m.credentialOf(id)).toBeUndefined();
  });

  it('dispose cancels expiry timers', () => {
    const { m, clock, changes } = manager();
    link(m);
    const before = changes.length;
    m.dispose();
    clock.advance(10_000);
    expect(changes.length).toBe(before);
  });
});
