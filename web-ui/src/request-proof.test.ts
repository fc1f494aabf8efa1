import { describe, expect, it } from 'vitest';
import { vectors as v } from '../../appliance/src/credentials/test/vectors.js';
import { fromHex, toHex } from './crypto/bytes.js';
import { boxBase, completeClaim, signRequest, startProver, verifyEvent, verifyResponse, type Prover, type ResponseToCheck, type SignedRequest } from './request-proof.js';

const [claimX, resumeX, eventsX, leaveX] = v.exchanges;
/** The "random" source for the vectors' claim: RFC 7748 §6.1 Alice's secret. */
const aliceRandom = (n: number): Uint8Array => {
  expect(n).toBe(32);
  return fromHex(v.pageSecret);
};
const asResponse = (r: ResponseToCheck & { readonly bodySha256: string }): ResponseToCheck => ({ status: r.status, location: r.location, key: r.key, link: r.link, body: r.body, proof: r.proof });
const sign = (p: Prover, x: (typeof v.exchanges)[number]) => signRequest(p, { method: x.method, base: x.base, path: x.path, body: x.body }, aliceRandom);

/** The page's side of the vectors' session, up to the claimed prover. */
function claimed(): { prover: Prover; claim: SignedRequest } {
  const start = startProver(v.token)!;
  const c = sign(start, claimX);
  const prover = completeClaim(c.prover, c.request, asResponse(claimX.response));
  if (prover === null) throw new Error('claim response refused');
  return { prover, claim: c.request };
}

describe('the page reproduces the independent vectors', () => {
  it('link id and claim keys from the token', () => {
    const p = startProver(v.token)!;
    expect(p.linkId).toBe(v.linkId);
    expect(toHex(p.keys.request)).toBe(v.claimKeys.request);
    expect(toHex(p.keys.response)).toBe(v.claimKeys.response);
    expect(p.next).toBe(1);
  });

  it('the claim request, byte for byte', () => {
    const c = sign(startProver(v.token)!, claimX);
    expect(c.request.authorization).toBe(claimX.authorization);
    expect(c.request.n).toBe(1);
    expect(c.prover.next).toBe(2);
  });

  it('the claim response yields the device keys, and the token keys are wiped', () => {
    const start = startProver(v.token)!;
    const c = sign(start, claimX);
    const p = completeClaim(c.prover, c.request, asResponse(claimX.response))!;
    expect(toHex(p.keys.request)).toBe(v.deviceKeys.request);
    expect(toHex(p.keys.response)).toBe(v.deviceKeys.response);
    expect(start.keys.request.every((b) => b === 0)).toBe(true);
    expect(c.request.exchange!.secret.every((b) => b === 0)).toBe(true);
  });

  it('resume, leave and events are signed as the vectors, and their answers verify', () => {
    let { prover } = claimed();
    const resume = sign(prover, resumeX);
    expect(resume.request.authorization).toBe(resumeX.authorization);
    expect(verifyResponse(resume.prover, resume.request, asResponse(resumeX.response))).toBe(true);
    const leave = sign(resume.prover, leaveX);
    expect(leave.request.authorization).toBe(leaveX.authorization);
    expect(verifyResponse(leave.prover, leave.request, asResponse(leaveX.response))).toBe(true);
    const events = sign(leave.prover, eventsX);
    expect(events.request.authorization).toBe(eventsX.authorization);
    prover = events.prover;
    eventsX.events.forEach((e, seq) => expect(verifyEvent(prover, eventsX.n, seq, { id: String(e.seq), data: e.data, proof: e.proof })).toBe(true));
  });
});

describe('the page believes nothing the box did not sign', () => {
  const r = asResponse(claimX.response);
  it.each<[string, ResponseToCheck]>([
    ['another answer SDP', { ...r, body: r.body.replace('sonobox', 'sonobax') }],
    ['another box key (a relay doing its own exchange)', { ...r, key: v.pagePublic }],
    ['another Location', { ...r, location: '/whep/evil' }],
    ['an added ICE server', { ...r, link: '<turn:evil.example>; rel="ice-server"' }],
    ['another status', { ...r, status: 200 }],
    ['the proof of another response', { ...r, proof: resumeX.response.proof }],
    ['no proof', { ...r, proof: '' }],
  ])('a claim answer with %s is refused', (_name, forged) => {
    const c = sign(startProver(v.token)!, claimX);
    expect(completeClaim(c.prover, c.request, forged)).toBeNull();
    // Refusing it wiped nothing: the genuine answer still completes the claim.
    expect(completeClaim(c.prover, c.request, r)).not.toBeNull();
  });

  it('a resume answer with a changed SDP, or answering another request, is refused', () => {
    const { prover } = claimed();
    const resume = sign(prover, resumeX);
    const good = asResponse(resumeX.response);
    expect(verifyResponse(resume.prover, resume.request, { ...good, body: `${good.body} ` })).toBe(false);
    const other = sign(resume.prover, resumeX); // same request again: the next counter
    expect(verifyResponse(other.prover, other.request, good)).toBe(false);
  });

  it.each([
    ['a forged "ended"', { id: '1', data: '{"state":"ended"}', proof: eventsX.events[0].proof }, 1],
    ['an event out of order', { id: '1', data: eventsX.events[1].data, proof: eventsX.events[1].proof }, 0],
    ['an event whose id is not its sequence', { id: '0', data: eventsX.events[1].data, proof: eventsX.events[1].proof }, 1],
    ['an unsigned event', { id: '0', data: eventsX.events[0].data, proof: null }, 0],
  ] as const)('%s is ignored', (_name, e, expectedSeq) => {
    const { prover } = claimed();
    expect(verifyEvent(prover, eventsX.n, expectedSeq, e)).toBe(false);
  });

  it('an event signed for another stream (another request counter) is ignored', () => {
    const { prover } = claimed();
    const e = eventsX.events[0];
    expect(verifyEvent(prover, eventsX.n + 1, 0, { id: '0', data: e.data, proof: e.proof })).toBe(false);
  });
});

describe('prover bookkeeping', () => {
  it('every request gets the next counter, and claims a fresh key each time', () => {
    let p = startProver(v.token)!;
    let seed = 1;
    const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff);
    const keys = new Set<string>();
    for (let n = 1; n <= 5; n++) {
      const s = signRequest(p, { method: 'POST', base: claimX.base, path: '/whep', body: claimX.body }, random);
      expect(s.request.n).toBe(n);
      keys.add(s.request.exchange!.publicKey);
      p = s.prover;
    }
    expect(keys.size).toBe(5);
  });

  it.each(['', v.token.slice(1), `${v.token}A`, `${v.token.slice(0, 42)}h`])('a token that is not a box\'s gives no prover (%j)', (token) => {
    expect(startProver(token)).toBeNull();
  });

  it.each([
    [{ origin: 'http://192.168.1.20:8080', pathname: '/v' }, 'http://192.168.1.20:8080'],
    [{ origin: 'https://relay.example.org', pathname: '/b/cart-3/v' }, 'https://relay.example.org/b/cart-3'],
    [{ origin: 'http://[fd00::5]:8080', pathname: '/v/' }, 'http://[fd00::5]:8080'],
  ])('boxBase(%j) = %s', (location, base) => {
    expect(boxBase(location)).toBe(base);
  });
});
