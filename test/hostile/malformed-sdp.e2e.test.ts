/**
 * Malformed and fuzzed WHEP offers: every bad offer is answered 400 (413 when it is larger
 * than the 64 KiB body limit), the link it carried stays unused (the same token then works
 * with a good offer), nothing answers 5xx, and the process survives.
 *
 * Where each part runs:
 *   - the named corpus: the real HTTP route (inject) with the real WeriftViewerFactory;
 *   - FUZZ_DIRECT offers: checkOffer directly (pure, ~14k/s here);
 *   - FUZZ_HTTP offers: the real route with the real checkOffer + pinOfferToH264 in front
 *     of a fake peer (a real werift peer costs ~160 ms, too slow for thousands);
 *   - FUZZ_WERIFT offers: the real route with real werift peers, closed after each 201.
 *
 * Not about credentials: the box accepts Bearer here (whepBearer 'always'), so a 400 keeping
 * the link unused is seen without a page's signing in the way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeViewerFactory } from '../../appliance/src/http/test/fake-viewer-factory.js';
import { checkOffer } from '../../appliance/src/webrtc/offer-check.js';
import { pinOfferToH264 } from '../../appliance/src/webrtc/offer-pinning.js';
import { OfferRejected, type PendingViewer, type ViewerFactory } from '../../appliance/src/webrtc/viewer-connection.js';
import { buildHostileBox, chromiumOffer, socketCounts, udpSocketsAfterSettling, type HostileBox } from './hostile-box.js';
import { mutants } from './sdp-mutator.js';

const SEED = 0x50b0;
const FUZZ_DIRECT = 100_000;
const FUZZ_HTTP = 2_000;
const FUZZ_WERIFT = 150;
const noLimits = { failures: { windowMs: 60_000, perAddress: 1e9, global: 1e9, maxAddresses: 256 } };

async function post(box: HostileBox, token: string, payload: string | Buffer) {
  return box.server.inject({ method: 'POST', url: '/whep', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` }, payload });
}

/** Hangs up the viewer at `location` as the Bearer player that made it. */
async function hangUp(box: HostileBox, token: string, location: unknown) {
  return box.server.inject({ method: 'DELETE', url: location as string, headers: { authorization: `Bearer ${token}` } });
}

/** Ends the session so every case starts with one fresh, unused link. */
async function freshToken(box: HostileBox): Promise<string> {
  await box.sessions.end('next case');
  box.sessions.clear();
  return box.token();
}

/** A second, different sha-256 fingerprint line. */
const otherFingerprint = `a=fingerprint:sha-256 ${Array.from({ length: 32 }, (_, i) => ((i * 37 + 11) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':')}`;

function withInvalidUtf8(): Buffer {
  const b = Buffer.from(chromiumOffer, 'utf8');
  b[b.indexOf('s=-') + 2] = 0xff; // "s=\xff": a lone 0xFF is never UTF-8
  return b;
}

function randomBytes(n: number, seed: number): Buffer {
  let x = seed;
  return Buffer.from(Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24)));
}

const mLine = 'm=video 9 UDP/TLS/RTP/SAVPF 102\r\n';
const corpus: { name: string; body: string | Buffer; status: 400 | 413 }[] = [
  { name: 'empty body', body: '', status: 400 },
  { name: 'non-UTF-8 bytes (random)', body: randomBytes(4096, 7), status: 400 },
  { name: 'non-UTF-8 byte inside an otherwise valid Chromium offer', body: withInvalidUtf8(), status: 400 },
  { name: 'a 1 MB line (over the 64 KiB body limit)', body: `v=0\r\na=${'x'.repeat(1 << 20)}\r\n`, status: 413 },
  { name: '10,000 m-sections (over the 64 KiB body limit)', body: `v=0\r\n${mLine.repeat(10_000)}`, status: 413 },
  { name: '5,900 minimal m-sections within 64 KiB', body: `v=0\r\n${'m=a 9 b 0\r\n'.repeat(5_900)}`, status: 400 },
  { name: 'a valid offer padded past 32 KiB (offer-check limit) but under 64 KiB', body: chromiumOffer.replace('s=-', `s=${'-'.repeat(40_000)}`), status: 400 },
  { name: 'missing a=ice-ufrag', body: chromiumOffer.replace(/a=ice-ufrag:.*\r\n/, ''), status: 400 },
  { name: 'missing a=ice-pwd', body: chromiumOffer.replace(/a=ice-pwd:.*\r\n/, ''), status: 400 },
  { name: 'missing both ICE credentials', body: chromiumOffer.replace(/a=ice-(ufrag|pwd):.*\r\n/g, ''), status: 400 },
  { name: 'only a sha-1 fingerprint', body: chromiumOffer.replace(/a=fingerprint:sha-256 .*\r\n/, 'a=fingerprint:sha-1 AA:BB:CC\r\n'), status: 400 },
  { name: 'no video (audio only)', body: chromiumOffer.replace('m=video', 'm=audio'), status: 400 },
];

describe('malformed SDP corpus through the real route and real werift: 400/413, link not consumed, the same link then works', () => {
  let box: HostileBox;
  beforeAll(async () => {
    box = buildHostileBox({ limits: noLimits, whepBearer: 'always' });
    await box.server.ready();
  });
  afterAll(async () => {
    await box?.stop();
  });

  for (const c of corpus) {
    it(`${c.name} → ${c.status}`, async () => {
      const token = await freshToken(box);
      const bad = await post(box, token, c.body);
      expect(bad.statusCode).toBe(c.status);
      expect(bad.json()).toMatchObject({ error: c.status === 413 ? 'body-too-large' : 'offer-rejected' });
      if (c.status === 413) expect(bad.headers.connection).toBe('close');
      expect(box.unused(token)).toBe(true);
      const good = await post(box, token, chromiumOffer);
      expect(good.statusCode).toBe(201);
      expect((await hangUp(box, token, good.headers.location)).statusCode).toBe(200);
    });
  }

  it('checkOffer refuses 10,000 m-sections directly too (no body limit in front of it)', () => {
    expect(() => checkOffer(`v=0\r\n${mLine.repeat(10_000)}`)).toThrow(OfferRejected);
    expect(() => checkOffer(`v=0\r\n${'m=a 9 b 0\r\n'.repeat(10_000)}`)).toThrow(OfferRejected);
  });

  // Two different sha-256 fingerprints would let werift accept a DTLS certificate matching
  // either one: offer-check refuses them.
  for (const [name, body] of [
    ['two different sha-256 fingerprints in the video section', chromiumOffer.replace('a=setup:actpass', `${otherFingerprint}\r\na=setup:actpass`)],
    ['session-level sha-256 fingerprint differs from the media-level one', chromiumOffer.replace('a=group:BUNDLE 0', `${otherFingerprint}\r\na=group:BUNDLE 0`)],
  ] as const) {
    it(`conflicting fingerprints: ${name} → 400, link not consumed`, async () => {
      const token = await freshToken(box);
      const r = await post(box, token, body);
      if (r.statusCode === 201) await hangUp(box, token, r.headers.location);
      expect(r.statusCode).toBe(400);
      expect(r.body).toContain('conflicting sha-256 DTLS fingerprints');
      expect((await post(box, token, chromiumOffer)).statusCode).toBe(201);
    });
  }
});

/** The real offer check and pinning in front of the signalling twin: real validation, no sockets. */
class CheckingFakeFactory implements ViewerFactory {
  readonly fake = new FakeViewerFactory();
  async answer(offerSdp: string): Promise<PendingViewer> {
    const checked = checkOffer(offerSdp);
    pinOfferToH264(offerSdp, checked);
    return this.fake.answer('v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\n');
  }
}

describe(`seeded fuzz (seed ${SEED}): mutated Chromium offers never crash the box`, () => {
  it(`${FUZZ_DIRECT.toLocaleString('en')} mutants through checkOffer: each is answered or refused with OfferRejected, nothing else`, () => {
    const decoder = new TextDecoder();
    let accepted = 0;
    const t0 = performance.now();
    for (const m of mutants(chromiumOffer, SEED, FUZZ_DIRECT)) {
      try {
        const checked = checkOffer(decoder.decode(m.bytes));
        pinOfferToH264(decoder.decode(m.bytes), checked);
        accepted++;
      } catch (err) {
        if (!(err instanceof OfferRejected)) throw new Error(`mutation ${m.applied.join('+')} threw ${String(err)}`);
      }
    }
    const ms = performance.now() - t0;
    console.log(`fuzz/checkOffer: ${FUZZ_DIRECT} mutants in ${ms.toFixed(0)} ms, ${accepted} still valid, ${FUZZ_DIRECT - accepted} rejected`);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(FUZZ_DIRECT);
    expect(ms).toBeLessThan(45_000);
  }, 60_000);

  it(`${FUZZ_HTTP.toLocaleString('en')} mutants through the real HTTP route (real offer check, fake peer): 400 or 201, never 5xx, a 400 never consumes the link`, async () => {
    const factory = new CheckingFakeFactory();
    const box = buildHostileBox({ viewers: factory, limits: noLimits, whepBearer: 'always' });
    await box.server.ready();
    try {
      let token = box.token();
      const counts: Record<number, number> = {};
      for (const m of mutants(chromiumOffer, SEED + 1, FUZZ_HTTP)) {
        const r = await post(box, token, m.bytes);
        counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
        if (r.statusCode === 201) {
          await hangUp(box, token, r.headers.location);
          token = await freshToken(box);
        } else {
          expect(r.statusCode, `mutation ${m.applied.join('+')}`).toBe(400);
          expect(box.unused(token)).toBe(true);
        }
      }
      console.log(`fuzz/http: ${JSON.stringify(counts)}`);
      expect((counts[400] ?? 0) + (counts[201] ?? 0)).toBe(FUZZ_HTTP);
    } finally {
      await box.stop();
    }
  }, 60_000);

  it(`${FUZZ_WERIFT} mutants through the real route and real werift peers: 400 or 201, never 5xx; every peer's UDP socket is released`, async () => {
    const box = buildHostileBox({ limits: noLimits, whepBearer: 'always' });
    await box.server.ready();
    const before = socketCounts();
    try {
      let token = box.token();
      const counts: Record<number, number> = {};
      for (const m of mutants(chromiumOffer, SEED + 2, FUZZ_WERIFT)) {
        const r = await post(box, token, m.bytes);
        counts[r.statusCode] = (counts[r.statusCode] ?? 0) + 1;
        if (r.statusCode === 201) {
          expect((await hangUp(box, token, r.headers.location)).statusCode).toBe(200);
          token = await freshToken(box);
        } else {
          expect(r.statusCode, `mutation ${m.applied.join('+')}`).toBe(400);
          expect(box.unused(token)).toBe(true);
        }
      }
      console.log(`fuzz/werift: ${JSON.stringify(counts)}`);
      expect((counts[400] ?? 0) + (counts[201] ?? 0)).toBe(FUZZ_WERIFT);
      expect(await udpSocketsAfterSettling(before.udp)).toBe(before.udp);
    } finally {
      await box.stop();
    }
  }, 60_000);
});
