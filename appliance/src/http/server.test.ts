import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { AudioShare } from '../audio/audio-share.js';
import { connect, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionManager } from '../sessions/session-manager.js';
import { createLogger } from '../system/logger.js';
import { errorTable, type ErrorCode } from './error-table.js';
import { buildServer, securityHeaders, type ServerDeps } from './server.js';
import { FakeClock, FakeViewerFactory, sampleOffer } from './test/fake-viewer-factory.js';
import type { WhepLimits } from './whep-routes.js';

const TTL_MS = 60_000;
let webUiDir = '';

beforeAll(() => {
  webUiDir = mkdtempSync(join(tmpdir(), 'sonobox-webui-'));
  mkdirSync(join(webUiDir, 'assets'));
  writeFileSync(join(webUiDir, 'index.html'), '<!doctype html><title>sonobox</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(webUiDir, 'assets', 'app.js'), 'console.log("viewer");');
});
afterAll(() => rmSync(webUiDir, { recursive: true, force: true }));

interface Rig {
  app: FastifyInstance;
  sessions: SessionManager;
  viewers: FakeViewerFactory;
  clock: FakeClock;
  lines: string[];
}
const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.sessions.end('test over');
    r.sessions.dispose();
    await r.app.close();
  }
});

/** A stand-in cart screen and set-up picture for the box-only routes (real ones in cart/ and test/masking). */
const screenPng = Buffer.from('89504e470d0a1a0a', 'hex');
const boxPictures = {
  cartScreen: (): Uint8Array => screenPng,
  maskPreview: async () => ({ png: screenPng, preset: 'test-banner', set: '1280x720' }),
};

function rig(opts: { maxViewers?: number; limits?: Partial<WhepLimits>; webUiDir?: string; box?: Pick<ServerDeps, 'cartScreen' | 'maskPreview'>; audio?: ServerDeps['audio'] } = {}): Rig {
  const clock = new FakeClock();
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } });
  const sessions = new SessionManager({ policy: { linkTtlMs: TTL_MS, maxViewers: opts.maxViewers ?? 1 }, clock, log: logger });
  const viewers = new FakeViewerFactory();
  const app = buildServer({
    sessions,
    viewers,
    status: () => ({ source: { state: 'live', spec: 'test-pattern' }, encoder: { kind: 'fake' } }),
    webUiDir: opts.webUiDir ?? webUiDir,
    linkFor: (token) => `http://box.test:8080/v#t=${token}`,
    logger,
    limits: { perAddressPerMinute: 1_000_000, globalPerMinute: 1_000_000, ...opts.limits },
    ...(opts.box ?? boxPictures),
    ...(opts.audio ? { audio: opts.audio } : {}),
  });
  const r = { app, sessions, viewers, clock, lines };
  rigs.push(r);
  return r;
}

function issue(sessions: SessionManager): string {
  const r = sessions.start();
  if (!r.ok) throw new Error(r.message);
  return r.token;
}

function postWhep(app: FastifyInstance, credential: string | null, opts: { body?: string; headers?: Record<string, string>; remoteAddress?: string } = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: '/whep',
    remoteAddress: opts.remoteAddress ?? '192.168.1.77',
    headers: { 'content-type': 'application/sdp', ...(credential === null ? {} : { authorization: `Bearer ${credential}` }), ...opts.headers },
    payload: opts.body ?? sampleOffer,
  });
}

/** Status, headers (minus Date) and body: what "identical" means for refusals. */
function fingerprint(res: LightMyRequestResponse): string {
  const { date: _date, ...headers } = res.headers;
  return JSON.stringify({ status: res.statusCode, headers, body: res.body });
}

describe('the error table, case by case', () => {
  const cases: { name: string; send: (r: Rig) => Promise<LightMyRequestResponse>; code: ErrorCode; detail?: string }[] = [
    { name: 'wrong content type', send: (r) => postWhep(r.app, issue(r.sessions), { headers: { 'content-type': 'application/json' }, body: '{}' }), code: 'unsupported-media-type' },
    { name: 'no content type', send: (r) => r.app.inject({ method: 'POST', url: '/whep', headers: { authorization: `Bearer ${issue(r.sessions)}` } }), code: 'unsupported-media-type' },
    { name: 'unknown token', send: (r) => postWhep(r.app, 'A'.repeat(43)), code: 'link-invalid' },
    { name: 'no Authorization header', send: (r) => postWhep(r.app, null), code: 'link-invalid' },
    { name: 'malformed SDP', send: (r) => postWhep(r.app, issue(r.sessions), { body: 'hello' }), code: 'offer-rejected', detail: 'SDP offer does not start with v=0' },
    { name: 'SDP without video', send: (r) => postWhep(r.app, issue(r.sessions), { body: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' }), code: 'offer-rejected', detail: 'no video m-section' },
    { name: 'oversize declared body', send: (r) => postWhep(r.app, issue(r.sessions), { body: 'v=0\r\n' + 'a=x\r\n'.repeat(20_000) }), code: 'body-too-large' },
    { name: 'trickle PATCH', send: (r) => r.app.inject({ method: 'PATCH', url: '/whep/abc', headers: { 'content-type': 'application/trickle-ice-sdpfrag' }, payload: 'a=x' }), code: 'trickle-unsupported' },
    { name: 'DELETE of an unknown viewer', send: (r) => r.app.inject({ method: 'DELETE', url: '/whep/nobody' }), code: 'viewer-not-found' },
    { name: 'start a session from the network', send: (r) => r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '192.168.1.77' }), code: 'not-from-box' },
    { name: 'end a session from the network', send: (r) => r.app.inject({ method: 'DELETE', url: '/api/session', remoteAddress: '10.0.0.9' }), code: 'not-from-box' },
    { name: 'start a session from a web page on the box', send: (r) => r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '127.0.0.1', headers: { origin: 'http://evil.test' } }), code: 'not-from-box' },
    {
      name: 'another link when every place is bound to a device',
      send: async (r) => {
        expect((await postWhep(r.app, issue(r.sessions))).statusCode).toBe(201);
        return r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '127.0.0.1' });
      },
      code: 'session-full',
    },
    { name: 'the cart screen from the network', send: (r) => r.app.inject({ method: 'GET', url: '/api/cart.png', remoteAddress: '192.168.1.77' }), code: 'not-from-box' },
    { name: 'the cart screen from a web page on the box', send: (r) => r.app.inject({ method: 'GET', url: '/api/cart.png', remoteAddress: '127.0.0.1', headers: { origin: 'http://evil.test' } }), code: 'not-from-box' },
    { name: 'the set-up picture from the network', send: (r) => r.app.inject({ method: 'GET', url: '/api/mask-preview.png', remoteAddress: '::ffff:10.0.0.9' }), code: 'not-from-box' },
    { name: 'the set-up picture from a web page on the box', send: (r) => r.app.inject({ method: 'GET', url: '/api/mask-preview.png', remoteAddress: '::1', headers: { origin: 'null' } }), code: 'not-from-box' },
    { name: 'the cart screen before the first draw', send: (r) => rig({ box: { cartScreen: () => undefined } }).app.inject({ method: 'GET', url: '/api/cart.png', remoteAddress: '127.0.0.1' }), code: 'no-screen' },
    { name: 'the set-up picture while no frame comes', send: (r) => rig({ box: { maskPreview: async () => undefined } }).app.inject({ method: 'GET', url: '/api/mask-preview.png', remoteAddress: '127.0.0.1' }), code: 'no-frame', detail: 'nothing within 2000 ms' },
    { name: 'the cart screen on a box with a real display (no such route)', send: () => rig({ box: {} }).app.inject({ method: 'GET', url: '/api/cart.png', remoteAddress: '127.0.0.1' }), code: 'not-found' },
    { name: 'an unknown path', send: (r) => r.app.inject({ method: 'GET', url: '/etc/passwd' }), code: 'not-found' },
    { name: 'a path that climbs out of web-ui', send: (r) => r.app.inject({ method: 'GET', url: '/assets/../../../etc/passwd' }), code: 'not-found' },
  ];
  it.each(cases)('$name → $code', async ({ send, code, detail }) => {
    const r = rig();
    const res = await send(r);
    expect(res.statusCode).toBe(errorTable[code].status);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = res.json() as { error: string; message: string };
    expect(body.error).toBe(code);
    expect(body.message.startsWith(errorTable[code].message)).toBe(true);
    expect(body.message).not.toMatch(/\n/);
    if (detail) expect(body.message).toContain(detail);
  });

  it('PATCH says which method the resource allows', async () => {
    const res = await rig().app.inject({ method: 'PATCH', url: '/whep/abc', headers: { 'content-type': 'application/trickle-ice-sdpfrag' }, payload: 'a=x' });
    expect(res.headers.allow).toBe('DELETE');
  });
});

describe('POST /whep', () => {
  it('answers 201 with the answer SDP, a Location and a resume secret', async () => {
    const r = rig();
    const res = await postWhep(r.app, issue(r.sessions));
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe('application/sdp');
    const viewer = r.viewers.made[0]!;
    expect(res.body).toContain(`fake answer ${viewer.id}`);
    expect(res.headers.location).toBe(`/whep/${viewer.id}`);
    expect(res.headers['x-sonobox-resume']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(viewer.attached).toBe(true);
    expect(r.sessions.snapshot()).toMatchObject({ state: 'active', viewers: 1, linksOutstanding: 0 });
  });

  it('a rejected offer does not consume the link: the same token then works', async () => {
    const r = rig();
    const token = issue(r.sessions);
    expect((await postWhep(r.app, token, { body: 'not sdp' })).statusCode).toBe(400);
    expect(r.sessions.snapshot().linksOutstanding).toBe(1);
    expect((await postWhep(r.app, token)).statusCode).toBe(201);
    expect((await postWhep(r.app, token)).statusCode).toBe(403);
  });

  it('content type is matched without case or parameters', async () => {
    const r = rig();
    const res = await postWhep(r.app, issue(r.sessions), { headers: { 'content-type': 'Application/SDP; charset=utf-8' } });
    expect(res.statusCode).toBe(201);
  });

  it('unknown, used, expired, missing, malformed and no-session answers are byte-identical', async () => {
    const r = rig({ maxViewers: 2 });
    const answers: Record<string, LightMyRequestResponse> = {};
    answers['no session yet'] = await postWhep(r.app, 'B'.repeat(43));
    const used = issue(r.sessions);
    expect((await postWhep(r.app, used)).statusCode).toBe(201);
    answers.used = await postWhep(r.app, used);
    answers.unknown = await postWhep(r.app, 'C'.repeat(43));
    answers['not token-shaped'] = await postWhep(r.app, 'short');
    answers['no header'] = await postWhep(r.app, null);
    const expiring = issue(r.sessions);
    r.clock.advance(TTL_MS);
    answers.expired = await postWhep(r.app, expiring);
    await r.sessions.end('done');
    answers['used, after the session ended'] = await postWhep(r.app, used);
    const prints = Object.entries(answers).map(([name, res]) => [name, fingerprint(res)] as const);
    for (const [name, print] of prints) {
      expect(print, name).toBe(prints[0]![1]);
    }
    expect(answers.used!.statusCode).toBe(403);
    expect(answers.used!.json()).toEqual({ error: 'link-invalid', message: 'This link has already been used or has expired. Ask the sonographer for a new one.' });
  });

  it('of concurrent claims with one token exactly one wins (1,000 races)', async () => {
    const r = rig();
    // Random async delays: 0–3 event-loop turns plus 0–3 microtask hops per answer.
    r.viewers.delay = async () => {
      for (let i = Math.floor(Math.random() * 4); i > 0; i--) await new Promise((res) => setImmediate(res));
      for (let i = Math.floor(Math.random() * 4); i > 0; i--) await Promise.resolve();
    };
    let winners = 0;
    for (let run = 0; run < 1_000; run++) {
      const token = issue(r.sessions);
      const before = r.viewers.made.length;
      const contenders = 2 + (run % 3);
      const results = await Promise.all(Array.from({ length: contenders }, () => postWhep(r.app, token)));
      const statuses = results.map((x) => x.statusCode).sort();
      expect(statuses, `run ${run}`).toEqual([201, ...Array<number>(contenders - 1).fill(403)]);
      const made = r.viewers.made.slice(before);
      expect(made.filter((v) => v.attached && v.state !== 'closed')).toHaveLength(1);
      expect(made.filter((v) => v.closeReason === 'link already used')).toHaveLength(made.length - 1);
      winners++;
      await r.sessions.end('next run');
    }
    expect(winners).toBe(1_000);
  }, 60_000); // ~4 s here; the slack is for two cores shared by many jobs
});

describe('resume after a network blip', () => {
  it('the resume secret rebinds the link to a new connection and closes the old one', async () => {
    const r = rig();
    const first = await postWhep(r.app, issue(r.sessions));
    const secret = first.headers['x-sonobox-resume'] as string;
    const again = await postWhep(r.app, secret);
    expect(again.statusCode).toBe(201);
    const [old, fresh] = r.viewers.made;
    expect(again.headers.location).toBe(`/whep/${fresh!.id}`);
    expect(again.headers['x-sonobox-resume']).toBe(secret);
    expect(old!.closeReason).toBe('replaced by a resumed connection');
    expect(fresh!.attached).toBe(true);
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 1, reconnecting: 0 });
  });

  it('a dropped connection shows as reconnecting, then resumes', async () => {
    const r = rig();
    const secret = (await postWhep(r.app, issue(r.sessions))).headers['x-sonobox-resume'] as string;
    r.viewers.made[0]!.drop('ICE failed');
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 0, reconnecting: 1 });
    r.clock.advance(TTL_MS * 3); // bound links do not expire
    expect((await postWhep(r.app, secret)).statusCode).toBe(201);
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 1, reconnecting: 0 });
  });

  it('resuming an ended session gets the identical 403', async () => {
    const r = rig();
    const secret = (await postWhep(r.app, issue(r.sessions))).headers['x-sonobox-resume'] as string;
    await r.sessions.end('done');
    const refused = await postWhep(r.app, secret);
    const unknown = await postWhep(r.app, 'D'.repeat(43));
    expect(refused.statusCode).toBe(403);
    expect(fingerprint(refused)).toBe(fingerprint(unknown));
  });
});

describe('expiry on the monotonic clock', () => {
  it('an unused link works until its TTL, then is refused and stops counting', async () => {
    const r = rig({ maxViewers: 2 });
    const changes: number[] = [];
    r.sessions.onChange((s) => changes.push(s.linksOutstanding));
    const early = issue(r.sessions);
    const late = issue(r.sessions);
    r.clock.advance(TTL_MS - 1);
    expect((await postWhep(r.app, early)).statusCode).toBe(201);
    r.clock.advance(1);
    expect(r.sessions.snapshot().linksOutstanding).toBe(0);
    expect(changes.at(-1)).toBe(0);
    expect((await postWhep(r.app, late)).statusCode).toBe(403);
  });
});

describe('session API and status', () => {
  it('POST /api/session from the box gives a working link; status never shows it', async () => {
    const r = rig();
    const res = await r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '127.0.0.1' });
    expect(res.statusCode).toBe(201);
    const { link, expiresInS } = res.json() as { link: string; expiresInS: number };
    expect(expiresInS).toBe(TTL_MS / 1000);
    const token = /#t=([A-Za-z0-9_-]{43})$/.exec(link)![1]!;
    const whep = await postWhep(r.app, token);
    expect(whep.statusCode).toBe(201);
    const status = await r.app.inject({ method: 'GET', url: '/api/status' });
    expect(status.json()).toMatchObject({ source: { state: 'live' }, encoder: { kind: 'fake' }, session: { state: 'active', viewers: 1 } });
    expect(status.body).not.toContain(token);
    expect(status.body).not.toContain(whep.headers['x-sonobox-resume']);
  });

  it.each(['127.0.0.1', '::1', '::ffff:127.0.0.1'])('loopback peer %s may start a session', async (addr) => {
    const res = await rig().app.inject({ method: 'POST', url: '/api/session', remoteAddress: addr });
    expect(res.statusCode).toBe(201);
  });

  it('the box itself gets the cart screen and the set-up picture, with their headers', async () => {
    const r = rig();
    const screen = await r.app.inject({ method: 'GET', url: '/api/cart.png', remoteAddress: '127.0.0.1' });
    expect([screen.statusCode, screen.headers['content-type'], screen.headers['cache-control']]).toEqual([200, 'image/png', 'no-store']);
    expect(screen.rawPayload).toEqual(screenPng);
    const preview = await r.app.inject({ method: 'GET', url: '/api/mask-preview.png', remoteAddress: '::1' });
    expect([preview.statusCode, preview.headers['x-mask-preset'], preview.headers['x-mask-set']]).toEqual([200, 'test-banner', '1280x720']);
  });

  it('POST /api/session while the only link is unused replaces it: the new link works, the old one gets the 403', async () => {
    const r = rig({ maxViewers: 1 });
    const post = (): Promise<LightMyRequestResponse> => r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '127.0.0.1' });
    const first = await post();
    const second = await post();
    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    const tokenOf = (res: LightMyRequestResponse): string => new URL(res.json<{ link: string }>().link).hash.replace(/^#t=/, '');
    const old = await postWhep(r.app, tokenOf(first));
    expect(old.statusCode).toBe(403);
    expect(old.json()).toEqual({ error: 'link-invalid', message: errorTable['link-invalid'].message });
    expect((await postWhep(r.app, tokenOf(second))).statusCode).toBe(201);
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 1, linksOutstanding: 0 });
  });

  it('DELETE /api/session ends it: viewers closed, links dead', async () => {
    const r = rig({ maxViewers: 3 });
    const a = issue(r.sessions);
    const b = issue(r.sessions);
    const c = issue(r.sessions);
    await postWhep(r.app, a);
    await postWhep(r.app, b);
    const res = await r.app.inject({ method: 'DELETE', url: '/api/session', remoteAddress: '127.0.0.1' });
    expect(res.statusCode).toBe(200);
    expect(r.viewers.made.map((v) => v.state)).toEqual(['closed', 'closed']);
    expect(r.sessions.snapshot()).toMatchObject({ state: 'ended', viewers: 0, linksOutstanding: 0 });
    expect((await postWhep(r.app, c)).statusCode).toBe(403);
  });
});

describe('DELETE /whep/:id and the event stream', () => {
  it('DELETE ends that viewer and revokes its link', async () => {
    const r = rig();
    const res = await postWhep(r.app, issue(r.sessions));
    const del = await r.app.inject({ method: 'DELETE', url: res.headers.location as string });
    expect(del.statusCode).toBe(200);
    expect(r.viewers.made[0]!.closeReason).toBe('viewer hung up');
    expect(r.sessions.snapshot().viewers).toBe(0);
    expect((await r.app.inject({ method: 'DELETE', url: res.headers.location as string })).statusCode).toBe(404);
    expect((await postWhep(r.app, res.headers['x-sonobox-resume'] as string)).statusCode).toBe(403);
  });

  it('says live at once and ended when the session ends, then closes', async () => {
    const r = rig({ maxViewers: 2 });
    const one = await postWhep(r.app, issue(r.sessions));
    await postWhep(r.app, issue(r.sessions));
    const sse = await r.app.inject({ method: 'GET', url: `${one.headers.location as string}/events`, payloadAsStream: true });
    expect(sse.statusCode).toBe(200);
    expect(sse.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(sse.headers['cache-control']).toBe('no-store');
    const chunks: string[] = [];
    const done = new Promise<void>((resolve) => {
      const stream = sse.stream();
      stream.on('data', (c: Buffer) => chunks.push(c.toString()));
      stream.on('end', resolve);
    });
    await new Promise((res) => setImmediate(res));
    expect(chunks.join('')).toBe('data: {"state":"live"}\n\n');
    await r.sessions.end('sonographer ended the session');
    await done;
    expect(chunks.join('')).toBe('data: {"state":"live"}\n\ndata: {"state":"ended"}\n\n');
    expect(r.viewers.made.every((v) => v.state === 'closed')).toBe(true);
  });

  it('with sound, every live event says what the sound is, again on each change; nothing after ended', async () => {
    const listeners = new Set<(s: AudioShare) => void>();
    const audio = {
      share: 'on' as AudioShare,
      onShareChange: (l: (s: AudioShare) => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const set = (share: AudioShare): void => {
      audio.share = share;
      for (const l of listeners) l(share);
    };
    const r = rig({ audio });
    const one = await postWhep(r.app, issue(r.sessions));
    const sse = await r.app.inject({ method: 'GET', url: `${one.headers.location as string}/events`, payloadAsStream: true });
    let text = '';
    const ended = new Promise<void>((resolve) => {
      const stream = sse.stream();
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', resolve);
    });
    await new Promise((res) => setImmediate(res));
    set('muted');
    set('on');
    await new Promise((res) => setImmediate(res));
    await r.sessions.end('sonographer ended the session');
    await ended;
    expect(listeners.size).toBe(0); // the stream let go of the sound when it closed
    set('none');
    expect(text).toBe([
      'data: {"state":"live","audio":"on"}\n\n',
      'data: {"state":"live","audio":"muted"}\n\n',
      'data: {"state":"live","audio":"on"}\n\n',
      'data: {"state":"ended"}\n\n',
    ].join(''));
  });

  it('closing the server ends open event streams instead of hanging', async () => {
    const r = rig();
    const one = await postWhep(r.app, issue(r.sessions));
    const sse = await r.app.inject({ method: 'GET', url: `${one.headers.location as string}/events`, payloadAsStream: true });
    let text = '';
    const ended = new Promise<void>((resolve) => {
      const stream = sse.stream();
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', resolve);
    });
    await r.app.close();
    await ended;
    expect(text).toBe('data: {"state":"live"}\n\ndata: {"state":"ended"}\n\n');
  });

  it('an unknown or finished viewer hears ended at once', async () => {
    const res = await rig().app.inject({ method: 'GET', url: '/whep/gone/events' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('data: {"state":"ended"}\n\n');
  });
});

describe('hardening', () => {
  it.each([
    { name: '201 answer', send: (r: Rig) => postWhep(r.app, issue(r.sessions)) },
    { name: '403 refusal', send: (r: Rig) => postWhep(r.app, null) },
    { name: '404', send: (r: Rig) => r.app.inject({ method: 'GET', url: '/nothing' }) },
    { name: 'viewer page', send: (r: Rig) => r.app.inject({ method: 'GET', url: '/v' }) },
    { name: 'static asset', send: (r: Rig) => r.app.inject({ method: 'GET', url: '/assets/app.js' }) },
    { name: 'status', send: (r: Rig) => r.app.inject({ method: 'GET', url: '/api/status' }) },
    { name: 'redirect', send: (r: Rig) => r.app.inject({ method: 'GET', url: '/' }) },
  ])('security headers on $name', async ({ send }) => {
    const res = await send(rig());
    for (const [name, value] of Object.entries(securityHeaders)) expect(res.headers[name], name).toBe(value);
  });

  it('serves the page and assets, never a listing', async () => {
    const r = rig();
    const page = await r.app.inject({ method: 'GET', url: '/v' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<title>sonobox</title>');
    const asset = await r.app.inject({ method: 'GET', url: '/assets/app.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.body).toContain('viewer');
    expect((await r.app.inject({ method: 'GET', url: '/assets/' })).statusCode).toBe(404);
    const root = await r.app.inject({ method: 'GET', url: '/' });
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/v');
  });

  it('says how to build the page when it is missing', async () => {
    const res = await rig({ webUiDir: join(webUiDir, 'no-such-dir') }).app.inject({ method: 'GET', url: '/v' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'viewer-page-missing' });
  });

  it('413 on the declared length before reading a byte of the body', async () => {
    const r = rig();
    let bytesRead = 0;
    const body = new Readable({
      read() {
        bytesRead += 16_384;
        this.push(Buffer.alloc(16_384, 0x61));
        if (bytesRead >= 1_048_576) this.push(null);
      },
    });
    const res = await r.app.inject({
      method: 'POST',
      url: '/whep',
      headers: { 'content-type': 'application/sdp', 'content-length': String(1_048_576), authorization: `Bearer ${issue(r.sessions)}` },
      payload: body,
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(bytesRead).toBeLessThanOrEqual(16_384 * 2); // at most the stream's own read-ahead
    expect(r.viewers.made).toHaveLength(0);
  });

  it.each([
    { name: 'declared too long: answered before a byte of body is sent', chunked: false, bodyBytes: 0 },
    { name: 'chunked, no length: answered mid-stream, long before the body ends', chunked: true, bodyBytes: 128 * 1024 },
  ])('413 over a real loopback socket, $name', async ({ chunked, bodyBytes }) => {
    const r = rig();
    await r.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = r.app.server.address() as AddressInfo;
    const sock = connect(port, '127.0.0.1');
    sock.on('error', () => {}); // the server may reset after answering; that is the point
    await once(sock, 'connect');
    let response = '';
    sock.on('data', (d: Buffer) => (response += d.toString()));
    const closed = once(sock, 'close');
    const framing = chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${1024 * 1024}`;
    sock.write(`POST /whep HTTP/1.1\r\nHost: box\r\nContent-Type: application/sdp\r\nAuthorization: Bearer ${issue(r.sessions)}\r\n${framing}\r\n\r\n`);
    // Part of a body that never finishes: the server must answer without waiting for its end.
    const piece = 'a'.repeat(8 * 1024);
    for (let sent = 0; sent < bodyBytes; sent += piece.length) sock.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`no close; got: ${response}`)), 5_000))]);
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(response.toLowerCase()).toContain('connection: close');
    expect(response).toContain('"error":"body-too-large"');
    expect(r.viewers.made).toHaveLength(0);
  });

  it('rate-limits POST /whep per address, with Retry-After', async () => {
    const r = rig({ limits: { perAddressPerMinute: 3, globalPerMinute: 100 } });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await postWhep(r.app, null, { remoteAddress: '192.168.1.10' })).statusCode);
    expect(codes).toEqual([403, 403, 403, 429]);
    const limited = await postWhep(r.app, null, { remoteAddress: '192.168.1.10' });
    expect(limited.json()).toMatchObject({ error: 'rate-limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await postWhep(r.app, null, { remoteAddress: '192.168.1.11' })).statusCode).toBe(403);
  });

  it('rate-limits POST /whep globally across addresses', async () => {
    const r = rig({ limits: { perAddressPerMinute: 100, globalPerMinute: 5 } });
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await postWhep(r.app, null, { remoteAddress: `192.168.1.${20 + i}` })).statusCode);
    expect(codes).toEqual([403, 403, 403, 403, 403, 429]);
  });

  it('refusals carry no rate-limit counters (they would tell answers apart)', async () => {
    const res = await postWhep(rig().app, null);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
  });

  it('logs the meaningful events with no token, secret or viewer address', async () => {
    const r = rig();
    const token = issue(r.sessions);
    await postWhep(r.app, token, { body: 'garbage' });
    const ok = await postWhep(r.app, token, { remoteAddress: '192.168.1.77' });
    const secret = ok.headers['x-sonobox-resume'] as string;
    await postWhep(r.app, token);
    r.viewers.made[0]!.drop('ICE failed');
    await postWhep(r.app, secret);
    await r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '192.168.1.77' });
    await r.sessions.end('done');
    const all = r.lines.join('');
    expect(all).not.toContain(token);
    expect(all).not.toContain(secret);
    expect(all).not.toContain('192.168');
    const messages = r.lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual([
      'Session started; link valid for 60 s',
      'WHEP offer rejected: SDP offer does not start with v=0',
      'Viewer joined (1 of 1)',
      'WHEP link refused',
      'Viewer connection dropped; its link stays open for a resume',
      'Viewer resumed after a dropped connection',
      'Box-only route refused: not from the box',
      'Session ended (done)',
    ]);
  });
});
