/**
 * One-time links under attack, through the real HTTP route and the page's own signing
 * (sonobox/v1 proofs, PageClient): guessing is rate-limited by the failure budget and never
 * succeeds, while a valid link passes even from an address over its budget; unknown, used
 * and expired links, and a captured request replayed, get the identical refusal in the same
 * time; two devices racing one link have exactly one winner (1,000 races against the
 * signalling twin, 20 against real werift peers).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFailureBudget, type FailureBudget } from '../../appliance/src/credentials/failure-limiter.js';
import { deriveLinkSecrets } from '../../appliance/src/credentials/link-keys.js';
import { signRequest } from '../../appliance/src/credentials/request-proof.js';
import { FakeViewerFactory, sampleOffer } from '../../appliance/src/http/test/fake-viewer-factory.js';
import { PageClient } from '../../appliance/src/http/test/page-client.js';
import type { SignedRequest } from '../../web-ui/src/request-proof.js';
import { buildHostileBox, chromiumOffer, socketCounts, udpSocketsAfterSettling, type HostileBox } from './hostile-box.js';

const GUESSES = 100_000;
const TIMING_SAMPLES = 3_000;
const FAKE_RACES = 1_000;
const WERIFT_RACES = 20;
const noLimits = { failures: { windowMs: 60_000, perAddress: 1e9, global: 1e9, maxAddresses: 256 } };
/** The shipped budget, in a window longer than the test, so that the counts are exact on a slow machine. */
const shippedBudget: FailureBudget = { ...defaultFailureBudget, windowMs: 3_600_000 };

const guess = (): string => randomBytes(32).toString('base64url');
/** A page signing a claim with the link `token` (inject's Host is localhost:80, PageClient's default base). */
const pageOf = (token: string): PageClient => new PageClient(token);
/** An inject POST /whep carrying `sent` (a signed request, or a raw Authorization value). */
const whep = (sent: SignedRequest | string, body = sampleOffer, remoteAddress = '127.0.0.1') => ({
  method: 'POST' as const,
  url: '/whep',
  remoteAddress,
  headers: { 'content-type': 'application/sdp', authorization: typeof sent === 'string' ? sent : sent.authorization },
  payload: body,
});
/** A claim by a fresh page holding `token` (the page's own code: its X25519 costs ~2.5 ms). */
const claimBy = (token: string, body = sampleOffer, remoteAddress = '127.0.0.1') => whep(pageOf(token).sign('POST', '/whep', body), body, remoteAddress);
/** One X25519 public key, as any claim carries. */
const someKey = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x!;
/**
 * What a guesser sends, fast: the same claim proof a page would make for `token` (node:crypto,
 * reusing one X25519 key, which the box looks at only after the MAC has checked).
 */
const guessedClaim = (token: string, remoteAddress = '127.0.0.1') => {
  const { linkId, claim } = deriveLinkSecrets(token)!;
  return whep(signRequest(claim.request, { method: 'POST', base: 'http://localhost:80', path: '/whep', body: sampleOffer }, linkId, 1, someKey), sampleOffer, remoteAddress);
};
/** What a refusal looks like to the client, minus the Date header. */
const refusalShape = (r: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
  const { date: _date, ...headers } = r.headers;
  return { status: r.statusCode, body: r.body, headers };
};

describe('guessing links', () => {
  it(`${GUESSES.toLocaleString('en')} guessed tokens from one address: ${defaultFailureBudget.perAddress} refusals (403) then 429 with Retry-After; none accepted; the live link still opens from that address`, async () => {
    const box = buildHostileBox({ viewers: new FakeViewerFactory(), limits: { failures: shippedBudget } });
    await box.server.ready();
    const live = box.token(); // a live session with an unused link to find
    try {
      const counts: Record<number, number> = {};
      let retryAfter: unknown;
      for (let i = 0; i < GUESSES; i++) {
        const r = await box.server.inject(guessedClaim(guess()));
        counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
        if (r.statusCode === 429) retryAfter ??= r.headers['retry-after'];
      }
      console.log(`guesses from one address: ${JSON.stringify(counts)}`);
      expect(counts[201]).toBeUndefined();
      expect(counts[403]).toBe(defaultFailureBudget.perAddress);
      expect(counts[429]).toBe(GUESSES - defaultFailureBudget.perAddress);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // Only bad credentials are counted: a valid one passes from the same (over-budget) address.
      expect(box.unused(live)).toBe(true);
      expect((await box.server.inject(claimBy(live))).statusCode).toBe(201);
    } finally {
      await box.stop();
    }
  }, 120_000);

  it(`guesses spread over 5,000 addresses are capped by the global budget (${defaultFailureBudget.global} per window); none accepted; the live link still opens`, async () => {
    const box = buildHostileBox({ viewers: new FakeViewerFactory(), limits: { failures: shippedBudget } });
    await box.server.ready();
    const live = box.token();
    try {
      const counts: Record<number, number> = {};
      for (let i = 0; i < 20_000; i++) {
        const j = i % 5000;
        const address = `10.0.${j >> 8}.${j & 255}`;
        const r = await box.server.inject(guessedClaim(guess(), address));
        counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
      }
      console.log(`guesses from many addresses: ${JSON.stringify(counts)}`);
      expect(counts[201]).toBeUndefined();
      expect(counts[403]).toBe(defaultFailureBudget.global);
      expect(counts[429]).toBe(20_000 - defaultFailureBudget.global);
      expect((await box.server.inject(claimBy(live, sampleOffer, '10.0.0.1'))).statusCode).toBe(201);
    } finally {
      await box.stop();
    }
  }, 120_000);
});

describe('unknown, used, expired and replayed links look the same', () => {
  let box: HostileBox;
  const tokens: Record<'unknown' | 'used' | 'expired', string> = { unknown: guess(), used: '', expired: '' };
  /** The used link's own claim, captured: replaying it byte for byte. */
  let capturedClaim = '';
  beforeAll(async () => {
    box = buildHostileBox({ viewers: new FakeViewerFactory(), limits: noLimits, linkTtlMs: 1_000 });
    await box.server.ready();
    tokens.expired = box.token();
    tokens.used = box.token();
    const owner = pageOf(tokens.used);
    const claim = owner.sign('POST', '/whep', sampleOffer);
    capturedClaim = claim.authorization;
    const res = await box.server.inject(whep(claim));
    expect(res.statusCode).toBe(201);
    expect(owner.receive(claim, res)).toBe(true);
    // The guesser's fast claim is a real proof: for a live link it is accepted.
    expect((await box.server.inject(guessedClaim(box.token()))).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 1_300));
    expect(box.sessions.credentialOf(deriveLinkSecrets(tokens.expired)!.linkId)).toBeUndefined();
    expect(box.sessions.credentialOf(deriveLinkSecrets(tokens.used)!.linkId)?.kind).toBe('device');
  });
  afterAll(async () => {
    await box?.stop();
  });

  it('a used link (claimed by another page), and its captured claim replayed, get the identical "already used" 403 that unknown and expired links get', async () => {
    const shapes = await Promise.all([
      ...(['unknown', 'used', 'expired'] as const).map(async (k) => refusalShape(await box.server.inject(claimBy(tokens[k])))),
      box.server.inject(whep(capturedClaim)).then(refusalShape),
      box.server.inject(whep(`Bearer ${tokens.used}`)).then(refusalShape),
    ]);
    expect(shapes[0]!.status).toBe(403);
    expect(JSON.parse(shapes[0]!.body)).toEqual({ error: 'link-invalid', message: expect.stringMatching(/already been used or has expired/) });
    for (const s of shapes.slice(1)) expect(s).toEqual(shapes[0]);
  });

  it(`answer times: medians of ${TIMING_SAMPLES} interleaved requests per class agree within 15% (or 5 µs)`, async () => {
    const classes = ['unknown', 'used', 'expired'] as const;
    const times: Record<(typeof classes)[number], number[]> = { unknown: [], used: [], expired: [] };
    for (let i = 0; i < 300; i++) for (const k of classes) await box.server.inject(guessedClaim(tokens[k])); // warm-up
    for (let i = 0; i < TIMING_SAMPLES; i++) {
      // Rotate the order each round so drift and GC land on every class alike.
      for (let j = 0; j < classes.length; j++) {
        const k = classes[(i + j) % classes.length]!;
        const request = guessedClaim(tokens[k]); // signed before the clock starts: only the box's answer is timed
        const t0 = process.hrtime.bigint();
        const r = await box.server.inject(request);
        times[k].push(Number(process.hrtime.bigint() - t0) / 1000);
        if (r.statusCode !== 403) throw new Error(`${k} answered ${r.statusCode}`);
      }
    }
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const medians = Object.fromEntries(classes.map((k) => [k, median(times[k])])) as Record<(typeof classes)[number], number>;
    console.log(`refusal medians (µs): ${classes.map((k) => `${k} ${medians[k].toFixed(1)}`).join(', ')}`);
    const lo = Math.min(...Object.values(medians));
    const hi = Math.max(...Object.values(medians));
    expect(hi - lo < 5 || hi / lo < 1.15, `medians ${JSON.stringify(medians)}`).toBe(true);
  }, 60_000);
});

describe('two devices racing one link', () => {
  it(`${FAKE_RACES.toLocaleString('en')} races through the real route (signalling twin, random answer delays): exactly one winner each time; a loser's viewer, if one was made, is closed`, async () => {
    const factory = new FakeViewerFactory();
    factory.delay = () => new Promise((r) => setTimeout(r, Math.random() * 3));
    const box = buildHostileBox({ viewers: factory, limits: noLimits });
    await box.server.ready();
    try {
      for (let i = 0; i < FAKE_RACES; i++) {
        await box.sessions.end('next race');
        box.sessions.clear();
        const token = box.token();
        const made = factory.made.length;
        // Two devices, each with its own page (its own X25519 key), both holding the token.
        const [a, b] = await Promise.all([box.server.inject(claimBy(token)), box.server.inject(claimBy(token))]);
        const statuses = [a.statusCode, b.statusCode].sort();
        expect(statuses, `race ${i}`).toEqual([201, 403]);
        // Both claims use counter 1: the loser is usually refused as a replay before any
        // viewer exists, or, if it got past that first, loses the bind and its viewer is closed.
        const viewers = factory.made.slice(made);
        expect(viewers.length).toBeGreaterThanOrEqual(1);
        expect(viewers.filter((v) => v.closeReason === 'link already used')).toHaveLength(viewers.length - 1);
        expect(viewers.filter((v) => v.attached)).toHaveLength(1);
      }
    } finally {
      await box.stop();
    }
  }, 60_000);

  it(`${WERIFT_RACES} races with real werift peers: one 201, one 403, the loser's peer and sockets released`, async () => {
    const box = buildHostileBox({ limits: noLimits });
    await box.server.ready();
    const before = socketCounts();
    try {
      for (let i = 0; i < WERIFT_RACES; i++) {
        await box.sessions.end('next race');
        box.sessions.clear();
        const token = box.token();
        const pages = [pageOf(token), pageOf(token)];
        const claims = pages.map((p) => p.sign('POST', '/whep', chromiumOffer));
        const answers = await Promise.all(claims.map((c) => box.server.inject(whep(c, chromiumOffer))));
        expect(answers.map((r) => r.statusCode).sort(), `race ${i}`).toEqual([201, 403]);
        const w = answers.findIndex((r) => r.statusCode === 201);
        expect(pages[w]!.receive(claims[w]!, answers[w]!)).toBe(true);
        expect(box.sessions.snapshot().viewers).toBe(1);
        const location = answers[w]!.headers.location as string;
        const leave = pages[w]!.sign('DELETE', location);
        expect((await box.server.inject({ method: 'DELETE', url: location, headers: { authorization: leave.authorization } })).statusCode).toBe(200);
      }
      expect(await udpSocketsAfterSettling(before.udp)).toBe(before.udp);
    } finally {
      await box.stop();
    }
  }, 60_000);
});
