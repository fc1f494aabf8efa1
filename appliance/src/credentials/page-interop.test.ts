/**
 * The viewer page's module (web-ui/src/request-proof.ts and its pure-TypeScript crypto)
 * against the box's (node:crypto): same primitives, and a whole session where every
 * request the page builds verifies on the box and every answer the box signs verifies on
 * the page. Also against WebCrypto, which a page in a secure context could use instead.
 */
import { createHash, createHmac, createPublicKey, diffieHellman, hkdfSync, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hkdfSha256, hmacSha256 } from '../../../web-ui/src/crypto/hmac.js';
import { sha256 } from '../../../web-ui/src/crypto/sha256.js';
import { x25519, x25519PublicKey } from '../../../web-ui/src/crypto/x25519.js';
import { completeClaim, signRequest, startProver, verifyEvent, verifyResponse, type Prover, type RequestToSign, type SignedRequest as PageSigned } from '../../../web-ui/src/request-proof.js';
import { feedSse, initialSseState } from '../../../web-ui/src/sse-reader.js';
import { accept, claim, claimable, present, type LinkCredential } from './link-credential.js';
import { mintLink, x25519PrivateKey } from './link-keys.js';
import { bodySha256 } from './request-proof.js';
import { responseProof, signedEvent } from './response-proof.js';

/** mulberry32, seeded: a failing case can be replayed. */
function prng(seed: number): (n: number) => Uint8Array {
  return (n) =>
    Uint8Array.from({ length: n }, () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) & 0xff;
    });
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('the page\'s pure-TypeScript primitives give node:crypto\'s results (seeded)', () => {
  const random = prng(7);
  it('SHA-256 at every length 0 … 300 (all the padding boundaries) and a few large ones', () => {
    const mismatches: number[] = [];
    for (const length of [...Array.from({ length: 301 }, (_, i) => i), 4095, 4096, 65_536]) {
      const m = random(length);
      if (hex(sha256(m)) !== createHash('sha256').update(m).digest('hex')) mismatches.push(length);
    }
    expect(mismatches).toEqual([]);
  });

  it('HMAC-SHA256 with keys of 0 … 200 bytes and HKDF with random salts, infos and lengths', () => {
    const mismatches: string[] = [];
    for (let i = 0; i <= 200; i++) {
      const key = random(i);
      const message = random(i * 7 % 333);
      if (hex(hmacSha256(key, message)) !== createHmac('sha256', key).update(message).digest('hex')) mismatches.push(`hmac ${i}`);
      const [ikm, salt, info] = [random(1 + (i % 80)), random(i % 70), random(i % 90)];
      const length = 1 + ((i * 13) % 300);
      if (hex(hkdfSha256(ikm, salt, info, length)) !== Buffer.from(hkdfSync('sha256', ikm, salt, info, length)).toString('hex')) mismatches.push(`hkdf ${i}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('X25519 with random secrets and random peer keys (top bit set or not)', () => {
    const mismatches: number[] = [];
    for (let i = 0; i < 40; i++) {
      const secret = random(32);
      const peerPublic = createPublicKey(x25519PrivateKey(Buffer.from(random(32)))).export({ format: 'jwk' }).x!;
      const u = Buffer.from(peerPublic, 'base64url');
      if (i % 2) u[31]! |= 0x80; // RFC 7748 §5: the receiver masks it
      const node = diffieHellman({ privateKey: x25519PrivateKey(Buffer.from(secret)), publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: peerPublic }, format: 'jwk' }) });
      const ours = x25519(secret, u);
      const ourPublic = Buffer.from(x25519PublicKey(secret)).toString('base64url');
      if (hex(ours) !== node.toString('hex') || ourPublic !== createPublicKey(x25519PrivateKey(Buffer.from(secret))).export({ format: 'jwk' }).x) mismatches.push(i);
    }
    expect(mismatches).toEqual([]);
  });

  it('and WebCrypto\'s, for HMAC and HKDF (what a page in a secure context has)', async () => {
    const { subtle } = webcrypto;
    for (let i = 0; i < 20; i++) {
      const [key, message, salt, info] = [random(1 + i * 5), random(i * 31), random(i), random(i * 2)];
      const hmacKey = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      expect(hex(new Uint8Array(await subtle.sign('HMAC', hmacKey, message)))).toBe(hex(hmacSha256(key, message)));
      const ikm = await subtle.importKey('raw', key, 'HKDF', false, ['deriveBits']);
      const bits = await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info }, ikm, 256);
      expect(hex(new Uint8Array(bits))).toBe(hex(hkdfSha256(key, salt, info, 32)));
    }
  });
});

/** The box's side of one request: accept it (the window moves), as the routes will. */
function boxAccepts(credential: LinkCredential, sent: PageSigned, req: RequestToSign): LinkCredential | null {
  const r = accept(credential, present(sent.authorization), req, false);
  return r.ok ? r.credential : null;
}

describe('a whole session: the page builds, the box verifies, and back', () => {
  const base = 'http://192.168.1.20:8080';
  const random = prng(99);
  const offer = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 01:02\r\n';
  const answer = 'v=0\r\no=- 9 9 IN IP4 0.0.0.0\r\ns=sonobox\r\nt=0 0\r\n';

  function session(): { credential: LinkCredential; prover: Prover; sent: Array<[PageSigned, RequestToSign]> } {
    const { token, secrets } = mintLink();
    let credential = claimable(secrets);
    let prover = startProver(token)!;
    const sent: Array<[PageSigned, RequestToSign]> = [];

    // Claim.
    const claimReq: RequestToSign = { method: 'POST', base, path: '/whep', body: offer };
    const c = signRequest(prover, claimReq, random);
    sent.push([c.request, claimReq]);
    const a = accept(credential, present(c.request.authorization), claimReq, false);
    expect(a.ok && a.as).toBe('claim');
    if (!a.ok) throw new Error('claim refused');
    const claimed = claim(a.credential, c.request.exchange!.publicKey)!;
    credential = claimed.credential;
    const location = '/whep/resource-1';
    const response = { status: 201, location, key: claimed.exchange.boxKey, link: '', body: answer };
    const proof = responseProof(claimed.exchange.device.response, { requestN: c.request.n, status: 201, location, key: response.key, link: '', requestBodySha256: bodySha256(offer), responseBodySha256: bodySha256(answer) });
    prover = completeClaim(c.prover, c.request, { ...response, proof })!;
    expect(prover).not.toBeNull();
    return { credential, prover, sent };
  }

  it('claim, then events, resume and DELETE sent at once and arriving out of order; events verify on the page', () => {
    let { credential, prover } = session();
    const events: RequestToSign = { method: 'GET', base, path: '/whep/resource-1/events', body: '' };
    const resume: RequestToSign = { method: 'POST', base, path: '/whep', body: offer.replace('1 2', '1 3') };
    const leave: RequestToSign = { method: 'DELETE', base, path: '/whep/resource-2', body: '' };
    const signed: PageSigned[] = [];
    for (const req of [events, resume, leave]) {
      const s = signRequest(prover, req, random);
      prover = s.prover;
      signed.push(s.request);
    }
    // They overtake each other on the way: DELETE first, then the resume, then the events.
    for (const i of [2, 1, 0]) {
      const next = boxAccepts(credential, signed[i]!, [events, resume, leave][i]!);
      expect(next, `request ${i}`).not.toBeNull();
      credential = next!;
    }
    // The box signs the resume's answer and two events; the page believes them.
    const keys = credential.keys;
    const resumeResponse = { status: 201, location: '/whep/resource-2', key: '', link: '', body: answer };
    const proof = responseProof(keys.response, { requestN: signed[1]!.n, status: 201, location: resumeResponse.location, key: '', link: '', requestBodySha256: bodySha256(resume.body), responseBodySha256: bodySha256(answer) });
    expect(verifyResponse(prover, signed[1]!, { ...resumeResponse, proof })).toBe(true);
    const wire = signedEvent(keys.response, signed[0]!.n, 0, '{"state":"live"}') + ': keep-alive\n\n' + signedEvent(keys.response, signed[0]!.n, 1, '{"state":"ended"}');
    const read = feedSse(initialSseState, wire).events;
    expect(read.map((e, seq) => verifyEvent(prover, signed[0]!.n, seq, e))).toEqual([true, true]);
  });

  it('every request of the session, replayed to the box, is refused', () => {
    const s = session();
    let { credential, prover } = s;
    const later: Array<[PageSigned, RequestToSign]> = [];
    for (const req of [
      { method: 'GET', base, path: '/whep/resource-1/events', body: '' },
      { method: 'POST', base, path: '/whep', body: offer },
      { method: 'DELETE', base, path: '/whep/resource-1', body: '' },
    ] as const) {
      const signed = signRequest(prover, req, random);
      prover = signed.prover;
      credential = boxAccepts(credential, signed.request, req)!;
      later.push([signed.request, req]);
    }
    for (const [sent, req] of [...s.sent, ...later]) expect(boxAccepts(credential, sent, req)).toBeNull();
  });

  it('a request the page signed for the relay does not verify at the box\'s LAN address', () => {
    const { credential, prover } = session();
    const req: RequestToSign = { method: 'DELETE', base: 'https://relay.example.org/b/cart-3', path: '/whep/resource-1', body: '' };
    const s = signRequest(prover, req, random);
    expect(boxAccepts(credential, s.request, { ...req, base })).toBeNull();
    expect(boxAccepts(credential, s.request, req)).not.toBeNull();
  });

  it('the token opens nothing once the page has claimed (a photographed QR, a messenger\'s copy)', () => {
    const { token, secrets } = mintLink();
    const credential = claimable(secrets);
    const page = signRequest(startProver(token)!, { method: 'POST', base, path: '/whep', body: offer }, random);
    const a = accept(credential, present(page.request.authorization), { method: 'POST', base, path: '/whep', body: offer }, true);
    if (!a.ok) throw new Error('claim refused');
    const claimed = claim(a.credential, page.request.exchange!.publicKey)!.credential;
    // Someone else with the token: a new claim, a Bearer, or a device request signed with the token's keys.
    const other = startProver(token)!;
    const tries: Array<[string, RequestToSign]> = [
      [signRequest({ ...other, next: 50 }, { method: 'POST', base, path: '/whep', body: offer }, prng(5)).request.authorization, { method: 'POST', base, path: '/whep', body: offer }],
      [`Bearer ${token}`, { method: 'DELETE', base, path: '/whep/resource-1', body: '' }],
      [signRequest({ ...other, claimed: true, next: 51 }, { method: 'DELETE', base, path: '/whep/resource-1', body: '' }, prng(6)).request.authorization, { method: 'DELETE', base, path: '/whep/resource-1', body: '' }],
    ];
    for (const [authorization, req] of tries) expect(accept(claimed, present(authorization), req, true).ok).toBe(false);
  });
});
