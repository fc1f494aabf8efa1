/**
 * One-time links under attack, through the real HTTP route: guessing is rate-limited and
 * never succeeds; unknown, used and expired links get the identical refusal in the same
 * time; a replayed link hears "already used"; two devices racing one link have exactly
 * one winner (1,000 races against the signalling twin, 20 against real werift peers).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLimits } from '../../appliance/src/http/server.js';
import { FakeViewerFactory, sampleOffer } from '../../appliance/src/http/test/fake-viewer-factory.js';
import { buildHostileBox, chromiumOffer, socketCounts, udpSocketsAfterSettling, type HostileBox } from './hostile-box.js';

const GUESSES = 100_000;
const TIMING_SAMPLES = 3_000;
const FAKE_RACES = 1_000;
const WERIFT_RACES = 20;
const noLimits = { perAddressPerMinute: 1e9, globalPerMinute: 1e9 };

const guess = (): string => randomBytes(32).toString('base64url');
const whep = (token: string, body = sampleOffer, remoteAddress = '127.0.0.1') => ({
  method: 'POST' as const,
  url: '/whep',
  remoteAddress,
  headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
  payload: body,
});
/** What a refusal looks like to the client, minus the Date header. */
const refusalShape = (r: { statusCode: number; body: string; headers: Record<string, unknown> }) => {
  const { date: _date, ...headers } = r.headers;
  return { status: r.statusCode, body: r.body, headers };
};

describe('guessing links', () => {
  it(`${GUESSES.toLocaleString('en')} guessed tokens from one address: ${defaultLimits.perAddressPerMinute} refusals (403) then 429 with Retry-After; none accepted`, async () => {
    const box = buildHostileBox({ viewers: new FakeViewerFactory() });
    await box.server.ready();
    box.token(); // a live session with an unused link to find
    try {
      const counts: Record<number, number> = {};
      let retryAfter: unknown;
      for (let i = 0; i < GUESSES; i++) {
        const r = await box.server.inject(whep(guess()));
        counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
        if (r.statusCode === 429) retryAfter ??= r.headers['retry-after'];
      }
      console.log(`guesses from one address: ${JSON.stringify(counts)}`);
      expect(counts[201]).toBeUndefined();
      expect(counts[403]).toBe(defaultLimits.perAddressPerMinute);
      expect(counts[429]).toBe(GUESSES - defaultLimits.perAddressPerMinute);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await box.stop();
    }
  }, 60_000);

  it(`guesses spread over 5,000 addresses are capped by the global limit (${defaultLimits.globalPerMinute}/min); none accepted`, async () => {
    const box = buildHostileBox({ viewers: new FakeViewerFactory() });
    await box.server.ready();
    box.token();
    try {
      const counts: Record<number, number> = {};
      for (let i = 0; i < 20_000; i++) {
        const j = i % 5000;
        const address = `10.0.${j >> 8}.${j & 255}`;
        const r = await box.server.inject(whep(guess(), sampleOffer, address));
        counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
      }
      console.log(`guesses from many addresses: ${JSON.stringify(counts)}`);
      expect(counts[201]).toBeUndefined();
      expect(counts[403]).toBe(defaultLimits.globalPerMinute);
    } finally {
      await box.stop();
    }
  }, 60_000);
});

describe('unknown, used and expired links look the same', () => {
  let box: HostileBox;
  const tokens: Record<'unknown' | 'used' | 'expired', string> = { unknown: guess(), used: '', expired: '' };
  beforeAll(async () => {
    box = buildHostileBox({ viewers: new FakeViewerFactory(), limits: noLimits, linkTtlMs: 1_000 });
    await box.server.ready();
    tokens.expired = box.token();
    tokens.used = box.token();
    expect((await box.server.inject(whep(tokens.used))).statusCode).toBe(201);
    await new Promise((r) => setTimeout(r, 1_300));
    expect(box.sessions.check(tokens.expired)).toBeNull();
  });
  afterAll(async () => {
    await box?.stop();
  });

  it('a replayed link gets the identical "already used" 403 that unknown and expired links get', async () => {
    const shapes = await Promise.all((['unknown', 'used', 'expired'] as const).map(async (k) => refusalShape(await box.server.inject(whep(tokens[k])))));
    expect(shapes[0]!.status).toBe(403);
    expect(JSON.parse(shapes[0]!.body)).toEqual({ error: 'link-invalid', message: expect.stringMatching(/already been used or has expired/) });
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
  });

  it(`answer times: medians of ${TIMING_SAMPLES} interleaved requests per class agree within 15% (or 5 µs)`, async () => {
    const classes = ['unknown', 'used', 'expired'] as const;
    const times: Record<(typeof classes)[number], number[]> = { unknown: [], used: [], expired: [] };
    for (let i = 0; i < 300; i++) for (const k of classes) await box.server.inject(whep(tokens[k])); // warm-up
    for (let i = 0; i < TIMING_SAMPLES; i++) {
      // Rotate the order each round so drift and GC land on every class alike.
      for (let j = 0; j < classes.length; j++) {
        const k = classes[(i + j) % classes.length]!;
        const t0 = process.hrtime.bigint();
        const r = await box.server.inject(whep(tokens[k]));
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
  it(`${FAKE_RACES.toLocaleString('en')} races through the real route (signalling twin, random answer delays): exactly one winner each time; the loser's viewer is closed`, async () => {
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
        const [a, b] = await Promise.all([box.server.inject(whep(token)), box.server.inject(whep(token))]);
        const statuses = [a.statusCode, b.statusCode].sort();
        expect(statuses, `race ${i}`).toEqual([201, 403]);
        const viewers = factory.made.slice(made);
        expect(viewers).toHaveLength(2);
        expect(viewers.filter((v) => v.closeReason === 'link already used')).toHaveLength(1);
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
        const [a, b] = await Promise.all([box.server.inject(whep(token, chromiumOffer)), box.server.inject(whep(token, chromiumOffer))]);
        expect([a.statusCode, b.statusCode].sort(), `race ${i}`).toEqual([201, 403]);
        const winner = a.statusCode === 201 ? a : b;
        expect(box.sessions.snapshot().viewers).toBe(1);
        expect((await box.server.inject({ method: 'DELETE', url: winner.headers.location as string })).statusCode).toBe(200);
      }
      expect(await udpSocketsAfterSettling(before.udp)).toBe(before.udp);
    } finally {
      await box.stop();
    }
  }, 60_000);
});
