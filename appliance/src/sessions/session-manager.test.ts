import { describe, expect, it } from 'vitest';
import { FakeClock, FakeViewer } from '../http/test/fake-viewer-factory.js';
import { SessionManager, type SessionSnapshot } from './session-manager.js';

function manager(maxViewers = 1): { m: SessionManager; clock: FakeClock; changes: SessionSnapshot[] } {
  const clock = new FakeClock();
  const m = new SessionManager({ policy: { linkTtlMs: 5_000, maxViewers }, clock });
  const changes: SessionSnapshot[] = [];
  m.onChange((s) => changes.push(s));
  return { m, clock, changes };
}

function token(m: SessionManager): string {
  const r = m.start();
  if (!r.ok) throw new Error(r.message);
  return r.token;
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

  it('a replaced link is dead, its replacement works, and only a place bound to a device refuses', () => {
    const { m } = manager(1);
    const first = token(m);
    const second = token(m);
    expect(m.check(first)).toBeNull();
    expect(m.bind(first, new FakeViewer())).toEqual({ ok: false });
    expect(m.snapshot()).toMatchObject({ viewers: 0, linksOutstanding: 1 });
    expect(m.bind(second, new FakeViewer()).ok).toBe(true);
    const r = m.start();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe('Every viewer place in this session is held by a device that joined (session.maxViewers = 1); end the session to share with another device.');
    expect(m.snapshot()).toMatchObject({ viewers: 1, linksOutstanding: 0 });
  });

  it.each([
    { name: 'a fresh token', use: (t: string) => t, kind: 'link' },
    { name: 'an empty credential', use: () => '', kind: null },
    { name: 'a different token', use: (t: string) => `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`, kind: null },
  ])('check() with $name → $kind, and consumes nothing', ({ use, kind }) => {
    const { m } = manager();
    const t = token(m);
    expect(m.check(use(t))).toBe(kind);
    expect(m.check(use(t))).toBe(kind);
    expect(m.snapshot().linksOutstanding).toBe(1);
  });

  it('bind is one-shot; the resume secret then checks as resume', () => {
    const { m } = manager();
    const t = token(m);
    const b = m.bind(t, new FakeViewer());
    if (!b.ok) throw new Error('bind refused');
    expect(b.kind).toBe('link');
    expect(m.bind(t, new FakeViewer())).toEqual({ ok: false });
    expect(m.check(b.resumeSecret)).toBe('resume');
    expect(m.check(t)).toBeNull();
  });

  it('a viewer that closed before it was bound counts as reconnecting at once', () => {
    const { m } = manager();
    const v = new FakeViewer();
    v.drop('ICE failed early');
    expect(m.bind(token(m), v).ok).toBe(true);
    expect(m.snapshot()).toMatchObject({ viewers: 0, reconnecting: 1 });
  });

  it('the expiry timer retires the link and reports the change', () => {
    const { m, clock, changes } = manager();
    token(m);
    clock.advance(4_999);
    expect(m.snapshot().linksOutstanding).toBe(1);
    clock.advance(1);
    expect(changes.at(-1)).toMatchObject({ state: 'active', linksOutstanding: 0 });
  });

  it('end closes viewers, tells watchers once, forgets everything; a new session can start', async () => {
    const { m, changes } = manager(2);
    const a = new FakeViewer();
    const b = new FakeViewer();
    m.bind(token(m), a);
    m.bind(token(m), b);
    const told: string[] = [];
    m.watchViewer(a.id, () => told.push('a'));
    m.watchViewer(b.id, () => told.push('b'));
    await m.end('sonographer ended the session');
    await m.end('twice');
    expect([a.closeReason, b.closeReason]).toEqual(['sonographer ended the session', 'sonographer ended the session']);
    expect(told.sort()).toEqual(['a', 'b']);
    expect(m.snapshot()).toEqual({ state: 'ended', viewers: 0, reconnecting: 0, linksOutstanding: 0, maxViewers: null });
    expect(m.watchViewer(a.id, () => {})).toBeNull();
    expect(JSON.stringify(changes)).not.toMatch(/[A-Za-z0-9_-]{43}/);
    m.clear();
    expect(m.snapshot().state).toBe('idle');
    expect(m.start().ok).toBe(true);
  });

  it('hang-up of an unknown viewer is false; of a known one revokes its link', () => {
    const { m } = manager();
    const v = new FakeViewer();
    const b = m.bind(token(m), v);
    expect(m.hangUp('nobody')).toBe(false);
    expect(m.hangUp(v.id)).toBe(true);
    expect(v.closeReason).toBe('viewer hung up');
    if (b.ok) expect(m.check(b.resumeSecret)).toBeNull();
  });

  it('dispose cancels expiry timers', () => {
    const { m, clock, changes } = manager();
    token(m);
    const before = changes.length;
    m.dispose();
    clock.advance(10_000);
    expect(changes.length).toBe(before);
  });
});
