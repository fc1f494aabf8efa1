import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { AudioShare } from '../audio/audio-share.js';
import { connect, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SessionManager } from '../sessions/session-manager.js';
import { createLogger } from '../system/logger.js';
import { errorTable, type ErrorCode } from './error-table.js';
import { buildServer, securityHeaders, type ServerDeps } from './server.js';
import { feedSse, initialSseState, type SseEvent } from '../../../web-ui/src/sse-reader.js';
import { FakeClock, FakeViewerFactory, sampleOffer } from './test/fake-viewer-factory.js';
import { PageClient } from './test/page-client.js';
import type { WhepLimits } from './whep-routes.js';
import { limitMessage } from '../credentials/failure-limiter.js';
import type { SignedRequest } from '../../../web-ui/src/request-proof.js';

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

const noLimits = { windowMs: 60_000, perAddress: 1e9, global: 1e9, maxAddresses: 256 };

function rig(opts: { maxViewers?: number; limits?: Partial<WhepLimits>; webUiDir?: string; box?: Pick<ServerDeps, 'cartScreen' | 'maskPreview'>; audio?: ServerDeps['audio']; whepBearer?: ServerDeps['whepBearer'] } = {}): Rig {
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
    limits: { failures: noLimits, ...opts.limits },
    ...(opts.whepBearer ? { whepBearer: opts.whepBearer } : {}),
    hosts: { known: () => ['192.168.1.20', 'box.test'] },
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

/** A well-formed token the box never issued. */
const unknownToken = (): string => randomBytes(32).toString('base64url');

/** A page holding a fresh link of this session. */
function page(r: Rig): PageClient {
  return new PageClient(issue(r.sessions));
}

type Res = LightMyRequestResponse & { readonly signedByBox: boolean; readonly sentAs: SignedRequest | null };

/**
 * POST /whep as a page (signed, then the box's answer checked and the claim completed), as
 * a Bearer player (a string), or with no Authorization (null).
 */
async function postWhep(app: FastifyInstance, who: PageClient | string | null, opts: { body?: string; headers?: Record<string, string>; remoteAddress?: string } = {}): Promise<Res> {
  const body = opts.body ?? sampleOffer;
  const sent = who instanceof PageClient ? who.sign('POST', '/whep', body) : null;
  const authorization = sent !== null ? sent.authorization : typeof who === 'string' ? `Bearer ${who}` : undefined;
  const res = await app.inject({
    method: 'POST',
    url: '/whep',
    remoteAddress: opts.remoteAddress ?? '192.168.1.77',
    headers: { 'content-type': 'application/sdp', ...(authorization === undefined ? {} : { authorization }), ...opts.headers },
    payload: body,
  });
  const signedByBox = who instanceof PageClient && sent !== null ? who.receive(sent, res) : false;
  return Object.assign(res, { signedByBox, sentAs: sent });
}

/** A signed request of a page for one of its resource's routes. */
async function asPage(app: FastifyInstance, p: PageClient, method: 'GET' | 'DELETE', url: string, extra: { payloadAsStream?: boolean } = {}): Promise<Res> {
  const sent = p.sign(method, url);
  const res = await app.inject({ method, url, headers: { authorization: sent.authorization }, remoteAddress: '192.168.1.77', ...extra });
  const signedByBox = extra.payloadAsStream ? false : p.receive(sent, res);
  return Object.assign(res, { signedByBox, sentAs: sent });
}

/** Events read off a stream so far, each checked against the box's signature. */
function readEvents(p: PageClient, sent: SignedRequest, text: string): { events: SseEvent[]; allSigned: boolean } {
  const { events } = feedSse(initialSseState, text);
  return { events, allSigned: events.every((e, seq) => p.event(sent, seq, e)) };
}

/** Status, headers (minus Date) and body: what "identical" means for refusals. */
function fingerprint(res: LightMyRequestResponse): string {
  const { date: _date, ...headers } = res.headers;
  return JSON.stringify({ status: res.statusCode, headers, body: res.body });
}

describe('the error table, case by case', () => {
  const cases: { name: string; send: (r: Rig) => Promise<LightMyRequestResponse>; code: ErrorCode; detail?: string }[] = [
    { name: 'wrong content type', send: (r) => postWhep(r.app, page(r), { headers: { 'content-type': 'application/json' }, body: '{}' }), code: 'unsupported-media-type' },
    { name: 'no content type', send: (r) => r.app.inject({ method: 'POST', url: '/whep', headers: { authorization: `Bearer ${issue(r.sessions)}` } }), code: 'unsupported-media-type' },
    { name: 'unknown token, as Bearer', send: (r) => postWhep(r.app, 'A'.repeat(43)), code: 'link-invalid' },
    { name: 'a live link as Bearer over plain HTTP (session.whepBearer tls)', send: (r) => postWhep(r.app, issue(r.sessions)), code: 'link-invalid' },
    { name: 'a proof for a link nobody issued', send: (r) => postWhep(r.app, new PageClient('A'.repeat(43))), code: 'link-invalid' },
    { name: 'a proof signed for another address of the box', send: (r) => postWhep(r.app, new PageClient(issue(r.sessions), 'http://192.168.1.20:8080')), code: 'link-invalid' },
    { name: 'no Authorization header', send: (r) => postWhep(r.app, null), code: 'link-invalid' },
    { name: 'malformed SDP', send: (r) => postWhep(r.app, page(r), { body: 'hello' }), code: 'offer-rejected', detail: 'SDP offer does not start with v=0' },
    { name: 'SDP without video', send: (r) => postWhep(r.app, page(r), { body: 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n' }), code: 'offer-rejected', detail: 'no video m-section' },
    { name: 'oversize declared body', send: (r) => postWhep(r.app, page(r), { body: 'v=0\r\n' + 'a=x\r\n'.repeat(20_000) }), code: 'body-too-large' },
    { name: 'trickle PATCH', send: (r) => r.app.inject({ method: 'PATCH', url: '/whep/abc', headers: { 'content-type': 'application/trickle-ice-sdpfrag' }, payload: 'a=x' }), code: 'trickle-unsupported' },
    { name: 'DELETE of a resource without a credential', send: (r) => r.app.inject({ method: 'DELETE', url: '/whep/nobody' }), code: 'link-invalid' },
    { name: 'the events of a resource without a credential', send: (r) => r.app.inject({ method: 'GET', url: '/whep/nobody/events' }), code: 'link-invalid' },
    { name: 'a Host name the box is not called (DNS rebinding)', send: (r) => r.app.inject({ method: 'GET', url: '/v', headers: { host: 'rebind.evil.example' } }), code: 'misdirected' },
    { name: 'the cart screen from the box, addressed by a rebound name', send: (r) => r.app.inject({ method: 'GET', url: '/api/cart.png', remoteAddress: '127.0.0.1', headers: { host: 'rebind.evil.example:8080' } }), code: 'misdirected' },
    { name: 'the set-up picture from the box, addressed by a LAN address', send: (r) => r.app.inject({ method: 'GET', url: '/api/mask-preview.png', remoteAddress: '127.0.0.1', headers: { host: '192.168.1.20:8080' } }), code: 'not-from-box' },
    { name: 'start a session from the network', send: (r) => r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '192.168.1.77' }), code: 'not-from-box' },
    { name: 'end a session from the network', send: (r) => r.app.inject({ method: 'DELETE', url: '/api/session', remoteAddress: '10.0.0.9' }), code: 'not-from-box' },
    { name: 'start a session from a web page on the box', send: (r) => r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '127.0.0.1', headers: { origin: 'http://evil.test' } }), code: 'not-from-box' },
    {
      name: 'another link when every place is bound to a device',
      send: async (r) => {
        expect((await postWhep(r.app, page(r))).statusCode).toBe(201);
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
  it('a claim answers 201 with the answer SDP, a Location and the box\'s key, all signed with the new device keys', async () => {
    const r = rig();
    const p = page(r);
    const res = await postWhep(r.app, p);
    expect(res.statusCode).toBe(201);
    expect(res.signedByBox).toBe(true);
    expect(p.claimed).toBe(true);
    expect(res.headers['x-sonobox-key']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.headers['x-sonobox-resume']).toBeUndefined();
    expect(res.headers['content-type']).toBe('application/sdp');
    const viewer = r.viewers.made[0]!;
    expect(res.body).toContain(`fake answer ${viewer.id}`);
    expect(res.headers.location).toBe(`/whep/${viewer.id}`);
    expect(viewer.attached).toBe(true);
    expect(r.sessions.snapshot()).toMatchObject({ state: 'active', viewers: 1, linksOutstanding: 0 });
  });

  it('a rejected offer does not consume the link: its 400 is signed, and the page\'s next claim works; another device then gets 403', async () => {
    const r = rig();
    const token = issue(r.sessions);
    const p = new PageClient(token);
    const rejected = await postWhep(r.app, p, { body: 'not sdp' });
    expect([rejected.statusCode, rejected.signedByBox]).toEqual([400, true]);
    expect(r.sessions.snapshot().linksOutstanding).toBe(1);
    expect((await postWhep(r.app, p)).statusCode).toBe(201);
    expect((await postWhep(r.app, new PageClient(token))).statusCode).toBe(403);
  });

  it('a captured request replayed, byte for byte, gets the identical 403 and changes nothing', async () => {
    const r = rig();
    const p = page(r);
    const claim = await postWhep(r.app, p);
    expect(claim.statusCode).toBe(201);
    const replay = await r.app.inject({ method: 'POST', url: '/whep', remoteAddress: '192.168.1.66', headers: { 'content-type': 'application/sdp', authorization: claim.sentAs!.authorization }, payload: sampleOffer });
    expect(replay.statusCode).toBe(403);
    expect(fingerprint(replay)).toBe(fingerprint(await postWhep(r.app, null)));
    expect(r.viewers.made).toHaveLength(1);
    expect(r.viewers.made[0]!.state).not.toBe('closed');
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 1, viewerChanges: 0 });
  });

  it('the same signature over another body (an attacker\'s own offer) is refused', async () => {
    const r = rig();
    const p = page(r);
    const sent = p.sign('POST', '/whep', sampleOffer);
    const forged = await r.app.inject({ method: 'POST', url: '/whep', headers: { 'content-type': 'application/sdp', authorization: sent.authorization }, payload: `${sampleOffer}a=x-attacker\r\n` });
    expect(forged.statusCode).toBe(403);
    expect(r.viewers.made).toHaveLength(0);
  });

  it('the page never sends its token, and never the same Authorization twice', async () => {
    const r = rig();
    const token = issue(r.sessions);
    const p = new PageClient(token);
    const res = await postWhep(r.app, p);
    r.viewers.made[0]!.drop('ICE failed');
    await postWhep(r.app, p);
    await asPage(r.app, p, 'DELETE', (await postWhep(r.app, p)).headers.location as string);
    expect(p.sent.length).toBe(4);
    expect(new Set(p.sent).size).toBe(p.sent.length);
    expect(p.sent.join('\n')).not.toContain(token);
    expect(res.statusCode).toBe(201);
  });

  it('Bearer works for a standard WHEP player where the operator allows it (session.whepBearer always), and binds the link to that token', async () => {
    const r = rig({ whepBearer: 'always' });
    const token = issue(r.sessions);
    const first = await postWhep(r.app, token);
    expect(first.statusCode).toBe(201);
    expect(first.headers['x-sonobox-proof']).toBeUndefined();
    expect((await postWhep(r.app, new PageClient(token))).statusCode).toBe(403); // a page cannot take a player's link
    const del = await r.app.inject({ method: 'DELETE', url: first.headers.location as string, headers: { authorization: `Bearer ${token}` } });
    expect(del.statusCode).toBe(200);
    expect(r.viewers.made[0]!.closeReason).toBe('viewer hung up');
  });

  it('content type is matched without case or parameters', async () => {
    const r = rig();
    const res = await postWhep(r.app, page(r), { headers: { 'content-type': 'Application/SDP; charset=utf-8' } });
    expect(res.statusCode).toBe(201);
  });

  it('unknown, used, expired, replayed, missing, malformed and no-session answers are byte-identical', async () => {
    const r = rig({ maxViewers: 2 });
    const answers: Record<string, LightMyRequestResponse> = {};
    answers['no session yet'] = await postWhep(r.app, new PageClient(unknownToken()));
    const used = issue(r.sessions);
    const owner = new PageClient(used);
    const claim = await postWhep(r.app, owner);
    expect(claim.statusCode).toBe(201);
    answers.used = await postWhep(r.app, new PageClient(used));
    answers['used, as Bearer'] = await postWhep(r.app, used);
    answers.replayed = await r.app.inject({ method: 'POST', url: '/whep', headers: { 'content-type': 'application/sdp', authorization: claim.sentAs!.authorization }, payload: sampleOffer });
    answers.unknown = await postWhep(r.app, new PageClient(unknownToken()));
    answers['not token-shaped'] = await postWhep(r.app, 'short');
    answers['no header'] = await postWhep(r.app, null);
    const expiring = issue(r.sessions);
    r.clock.advance(TTL_MS);
    answers.expired = await postWhep(r.app, new PageClient(expiring));
    await r.sessions.end('done');
    answers['the owner, after the session ended'] = await postWhep(r.app, owner);
    const prints = Object.entries(answers).map(([name, res]) => [name, fingerprint(res)] as const);
    for (const [name, print] of prints) {
      expect(print, name).toBe(prints[0]![1]);
    }
    expect(answers.used!.statusCode).toBe(403);
    expect(answers.used!.json()).toEqual({ error: 'link-invalid', message: 'This link has already been used or has expired. Ask the sonographer for a new one.' });
  });

  it('of concurrent claims of one link exactly one wins (1,000 races, 2–4 devices)', async () => {
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
      const results = await Promise.all(Array.from({ length: contenders }, () => postWhep(r.app, new PageClient(token))));
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
  it('the claiming page\'s fresh offer, once the old connection is no longer heard, moves the link to a new resource', async () => {
    const r = rig();
    const p = page(r);
    const first = await postWhep(r.app, p);
    const again = await postWhep(r.app, p);
    expect([again.statusCode, again.signedByBox]).toEqual([201, true]);
    const [old, fresh] = r.viewers.made;
    expect(again.headers.location).toBe(`/whep/${fresh!.id}`);
    expect(again.headers.location).not.toBe(first.headers.location);
    expect(old!.closeReason).toBe('replaced by a resumed connection');
    expect(fresh!.attached).toBe(true);
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 1, reconnecting: 0, viewerChanges: 1 });
  });

  it('is refused with a signed 409 and Retry-After while the box still hears the connection (authenticated SRTCP)', async () => {
    const r = rig();
    const p = page(r);
    await postWhep(r.app, p);
    r.viewers.made[0]!.heardAt = performance.now() - 1_000;
    const refused = await postWhep(r.app, p);
    expect([refused.statusCode, refused.signedByBox]).toEqual([409, true]);
    expect(refused.json()).toMatchObject({ error: 'viewer-connected' });
    expect(Number(refused.headers['retry-after'])).toBe(3);
    expect(r.viewers.made).toHaveLength(1);
    expect(r.viewers.made[0]!.state).not.toBe('closed');
    r.viewers.made[0]!.heardAt = performance.now() - 4_000;
    expect((await postWhep(r.app, p)).statusCode).toBe(201);
  });

  it('another device with the token cannot resume, before or after the connection drops', async () => {
    const r = rig();
    const token = issue(r.sessions);
    await postWhep(r.app, new PageClient(token));
    expect((await postWhep(r.app, new PageClient(token))).statusCode).toBe(403);
    r.viewers.made[0]!.drop('ICE failed');
    expect((await postWhep(r.app, new PageClient(token))).statusCode).toBe(403);
    expect(r.viewers.made).toHaveLength(1);
  });

  it('a dropped connection shows as reconnecting, then resumes', async () => {
    const r = rig();
    const p = page(r);
    await postWhep(r.app, p);
    r.viewers.made[0]!.drop('ICE failed');
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 0, reconnecting: 1 });
    r.clock.advance(TTL_MS * 3); // bound links do not expire
    expect((await postWhep(r.app, p)).statusCode).toBe(201);
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 1, reconnecting: 0 });
  });

  it('resuming an ended session gets the identical 403', async () => {
    const r = rig();
    const p = page(r);
    await postWhep(r.app, p);
    await r.sessions.end('done');
    const refused = await postWhep(r.app, p);
    const unknown = await postWhep(r.app, new PageClient(unknownToken()));
    expect(refused.statusCode).toBe(403);
    expect(fingerprint(refused)).toBe(fingerprint(unknown));
  });
});

describe('expiry on the monotonic clock', () => {
  it('an unused link works until its TTL, then is refused and stops counting', async () => {
    const r = rig({ maxViewers: 2 });
    const changes: number[] = [];
    r.sessions.onChange((s) => changes.push(s.linksOutstanding));
    const early = page(r);
    const late = page(r);
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
    const whep = await postWhep(r.app, new PageClient(token));
    expect(whep.statusCode).toBe(201);
    const status = await r.app.inject({ method: 'GET', url: '/api/status' });
    expect(status.json()).toMatchObject({ source: { state: 'live' }, encoder: { kind: 'fake' }, session: { state: 'active', viewers: 1 } });
    expect(status.body).not.toContain(token);
    expect(status.body).not.toContain(whep.headers.location);
    expect(status.body).not.toContain(new PageClient(token).linkId);
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
    const old = await postWhep(r.app, new PageClient(tokenOf(first)));
    expect(old.statusCode).toBe(403);
    expect(old.json()).toEqual({ error: 'link-invalid', message: errorTable['link-invalid'].message });
    expect((await postWhep(r.app, new PageClient(tokenOf(second)))).statusCode).toBe(201);
    expect(r.sessions.snapshot()).toMatchObject({ viewers: 1, linksOutstanding: 0 });
  });

  it('DELETE /api/session ends it: viewers closed, links dead', async () => {
    const r = rig({ maxViewers: 3 });
    const a = page(r);
    const b = page(r);
    const c = page(r);
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
  it('a signed DELETE ends that viewer and revokes its link; its 200 is signed', async () => {
    const r = rig();
    const p = page(r);
    const res = await postWhep(r.app, p);
    const del = await asPage(r.app, p, 'DELETE', res.headers.location as string);
    expect([del.statusCode, del.signedByBox]).toEqual([200, true]);
    expect(r.viewers.made[0]!.closeReason).toBe('viewer hung up');
    expect(r.sessions.snapshot().viewers).toBe(0);
    expect((await asPage(r.app, p, 'DELETE', res.headers.location as string)).statusCode).toBe(403);
    expect((await postWhep(r.app, p)).statusCode).toBe(403);
  });

  it('a DELETE by anyone else (no credential, the token as another device, a replay, another link\'s keys) is refused and the parent keeps watching', async () => {
    const r = rig({ maxViewers: 2 });
    const token = issue(r.sessions);
    const parent = new PageClient(token);
    const res = await postWhep(r.app, parent);
    const location = res.headers.location as string;
    const stranger = page(r);
    await postWhep(r.app, stranger);
    const genuine = parent.sign('DELETE', location);
    const attempts = [
      await r.app.inject({ method: 'DELETE', url: location }),
      await asPage(r.app, new PageClient(token), 'DELETE', location),
      await asPage(r.app, stranger, 'DELETE', location),
      await r.app.inject({ method: 'DELETE', url: location, headers: { authorization: `Bearer ${token}` } }),
    ];
    expect(attempts.map((a) => a.statusCode)).toEqual([403, 403, 403, 403]);
    expect(r.viewers.made[0]!.state).not.toBe('closed');
    // The genuine request, sent once, works; its copy does not.
    expect((await r.app.inject({ method: 'DELETE', url: location, headers: { authorization: genuine.authorization } })).statusCode).toBe(200);
    expect((await r.app.inject({ method: 'DELETE', url: location, headers: { authorization: genuine.authorization } })).statusCode).toBe(403);
  });

  /** Opens a page's signed event stream on its resource and collects what arrives. */
  async function openEvents(r: Rig, p: PageClient, location: string): Promise<{ res: Res; text: () => string; ended: Promise<void>; read: () => { events: SseEvent[]; allSigned: boolean } }> {
    const res = await asPage(r.app, p, 'GET', `${location}/events`, { payloadAsStream: true });
    let text = '';
    const ended = new Promise<void>((resolve) => {
      const stream = res.stream();
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', resolve);
    });
    const sent = res.sentAs as SignedRequest;
    return { res, text: () => text, ended, read: () => readEvents(p, sent, text) };
  }
  const states = (events: SseEvent[]): unknown[] => events.map((e) => JSON.parse(e.data) as unknown);

  it('says live at once and ended when the session ends, then closes; every event signed by the box', async () => {
    const r = rig({ maxViewers: 2 });
    const p = page(r);
    const one = await postWhep(r.app, p);
    await postWhep(r.app, page(r));
    const sse = await openEvents(r, p, one.headers.location as string);
    expect(sse.res.statusCode).toBe(200);
    expect(sse.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(sse.res.headers['cache-control']).toBe('no-store');
    await new Promise((res) => setImmediate(res));
    expect(states(sse.read().events)).toEqual([{ state: 'live' }]);
    await r.sessions.end('sonographer ended the session');
    await sse.ended;
    const { events, allSigned } = sse.read();
    expect(states(events)).toEqual([{ state: 'live' }, { state: 'ended' }]);
    expect(allSigned).toBe(true);
    expect(r.viewers.made.every((v) => v.state === 'closed')).toBe(true);
  });

  it('an event altered on the way, or moved to another place in the stream, fails the page\'s check', async () => {
    const r = rig();
    const p = page(r);
    const one = await postWhep(r.app, p);
    const sse = await openEvents(r, p, one.headers.location as string);
    await new Promise((res) => setImmediate(res));
    await r.sessions.end('done');
    await sse.ended;
    const sent = sse.res.sentAs as SignedRequest;
    const [live, ended] = sse.read().events as [SseEvent, SseEvent];
    expect(p.event(sent, 0, live)).toBe(true);
    expect(p.event(sent, 0, { ...live, data: '{"state":"ended"}' })).toBe(false); // altered
    expect(p.event(sent, 0, ended)).toBe(false); // reordered
    expect(p.event(sent, 1, { ...ended, proof: null })).toBe(false); // unsigned
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
    const p = page(r);
    const one = await postWhep(r.app, p);
    const sse = await openEvents(r, p, one.headers.location as string);
    await new Promise((res) => setImmediate(res));
    set('muted');
    set('on');
    await new Promise((res) => setImmediate(res));
    await r.sessions.end('sonographer ended the session');
    await sse.ended;
    expect(listeners.size).toBe(0); // the stream let go of the sound when it closed
    set('none');
    const { events, allSigned } = sse.read();
    expect(allSigned).toBe(true);
    expect(states(events)).toEqual([
      { state: 'live', audio: 'on' },
      { state: 'live', audio: 'muted' },
      { state: 'live', audio: 'on' },
      { state: 'ended' },
    ]);
  });

  it('a Bearer player (where allowed) gets the plain stream', async () => {
    const r = rig({ whepBearer: 'always' });
    const token = issue(r.sessions);
    const one = await postWhep(r.app, token);
    expect(one.statusCode).toBe(201);
    const sse = await r.app.inject({ method: 'GET', url: `${one.headers.location as string}/events`, headers: { authorization: `Bearer ${token}` }, payloadAsStream: true });
    let text = '';
    const ended = new Promise<void>((resolve) => {
      const stream = sse.stream();
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', resolve);
    });
    await new Promise((res) => setImmediate(res));
    await r.sessions.end('done');
    await ended;
    expect(text).toBe('data: {"state":"live"}\n\ndata: {"state":"ended"}\n\n');
  });

  it('closing the server ends open event streams instead of hanging', async () => {
    const r = rig();
    const p = page(r);
    const one = await postWhep(r.app, p);
    const sse = await openEvents(r, p, one.headers.location as string);
    await r.app.close();
    await sse.ended;
    expect(states(sse.read().events)).toEqual([{ state: 'live' }, { state: 'ended' }]);
  });

  it('events of an unknown resource, without a credential, or after the link ended are refused (403): the page treats that as over', async () => {
    const r = rig();
    const p = page(r);
    const one = await postWhep(r.app, p);
    const location = one.headers.location as string;
    expect((await r.app.inject({ method: 'GET', url: `${location}/events` })).statusCode).toBe(403);
    expect((await asPage(r.app, p, 'GET', '/whep/gone/events')).statusCode).toBe(403);
    await r.sessions.end('done');
    expect((await asPage(r.app, p, 'GET', `${location}/events`)).statusCode).toBe(403);
  });
});

describe('hardening', () => {
  it.each([
    { name: '201 answer', send: (r: Rig) => postWhep(r.app, page(r)) },
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
    sock.write(`POST /whep HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sdp\r\nAuthorization: Bearer ${issue(r.sessions)}\r\n${framing}\r\n\r\n`);
    // Part of a body that never finishes: the server must answer without waiting for its end.
    const piece = 'a'.repeat(8 * 1024);
    for (let sent = 0; sent < bodyBytes; sent += piece.length) sock.write(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error(`no close; got: ${response}`)), 5_000))]);
    expect(response).toMatch(/^HTTP\/1\.1 413 /);
    expect(response.toLowerCase()).toContain('connection: close');
    expect(response).toContain('"error":"body-too-large"');
    expect(r.viewers.made).toHaveLength(0);
  });

  const budget = (perAddress: number, global: number) => ({ failures: { windowMs: 60_000, perAddress, global, maxAddresses: 256 } });

  it('answers an address\'s bad credentials 429 past its budget, with Retry-After; other addresses unaffected', async () => {
    const r = rig({ limits: budget(3, 100) });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await postWhep(r.app, null, { remoteAddress: '192.168.1.10' })).statusCode);
    expect(codes).toEqual([403, 403, 403, 429]);
    const limited = await postWhep(r.app, null, { remoteAddress: '192.168.1.10' });
    expect(limited.json()).toMatchObject({ error: 'rate-limited' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await postWhep(r.app, null, { remoteAddress: '192.168.1.11' })).statusCode).toBe(403);
  });

  it('answers everyone\'s bad credentials 429 past the global budget', async () => {
    const r = rig({ limits: budget(100, 5) });
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) codes.push((await postWhep(r.app, null, { remoteAddress: `192.168.1.${20 + i}` })).statusCode);
    expect(codes).toEqual([403, 403, 403, 403, 403, 429]);
  });

  it('a flood of bad credentials never locks the parent out: a valid claim and a valid DELETE pass from a limited address, and the limit is logged once', async () => {
    const r = rig({ limits: budget(3, 5) });
    for (let i = 0; i < 40; i++) await postWhep(r.app, new PageClient('A'.repeat(43)), { remoteAddress: `192.168.1.${10 + (i % 5)}` });
    expect((await postWhep(r.app, null, { remoteAddress: '192.168.1.10' })).statusCode).toBe(429);
    const p = page(r);
    const ok = await postWhep(r.app, p, { remoteAddress: '192.168.1.10' });
    expect(ok.statusCode).toBe(201);
    expect(ok.signedByBox).toBe(true);
    expect((await asPage(r.app, p, 'DELETE', ok.headers.location as string)).statusCode).toBe(200);
    const warnings = r.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40).map((l) => l.msg);
    expect(warnings.sort()).toEqual([limitMessage['address-limit'], limitMessage['global-limit']].sort());
  });

  it('refusals carry no rate-limit counters (they would tell answers apart)', async () => {
    const res = await postWhep(rig().app, null);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('x-ratelimit'))).toEqual([]);
  });

  it('logs the meaningful events with no token, key, resource or viewer address', async () => {
    const r = rig();
    const token = issue(r.sessions);
    const p = new PageClient(token);
    await postWhep(r.app, p, { body: 'garbage' });
    const ok = await postWhep(r.app, p, { remoteAddress: '192.168.1.77' });
    expect(ok.statusCode).toBe(201);
    await postWhep(r.app, new PageClient(token)); // another device with the same link
    r.viewers.made[0]!.drop('ICE failed');
    expect((await postWhep(r.app, p)).statusCode).toBe(201);
    await r.app.inject({ method: 'POST', url: '/api/session', remoteAddress: '192.168.1.77' });
    await r.sessions.end('done');
    const all = r.lines.join('');
    expect(all).not.toContain(token);
    expect(all).not.toContain(p.linkId);
    expect(all).not.toContain((ok.headers.location as string).split('/').pop());
    expect(all).not.toContain(ok.headers['x-sonobox-key'] as string);
    expect(all).not.toContain('192.168');
    const messages = r.lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual([
      'Session started; link valid for 60 s',
      'WHEP offer rejected: SDP offer does not start with v=0',
      'Viewer joined (1 of 1)',
      'Viewer connection dropped; its link stays open for a resume',
      'Viewer resumed on a new connection (the old one was no longer heard)',
      'Box-only route refused: not from the box',
      'Session ended (done)',
    ]);
  });
});
