import { describe, expect, it } from 'vitest';
import { deriveLinkSecrets, deviceExchange, mintLink, tokenBytes, x25519PrivateKey } from './link-keys.js';
import { accept, bearerAllowedOn, claim, claimable, claimByBearer, present, presentedLinkId, type LinkCredential } from './link-credential.js';
import { bodySha256, signRequest, type SignedRequest } from './request-proof.js';
import { responseProof, signedEvent } from './response-proof.js';
import { canonicalEvent, canonicalRequest, canonicalResponse } from './wire-format.js';
import { vectors as v } from './test/vectors.js';

const hex = (b: Buffer): string => b.toString('hex');
const boxKey = x25519PrivateKey(Buffer.from(v.boxSecret, 'hex'));
const [claimX, resumeX, eventsX, leaveX] = v.exchanges;
const asRequest = (x: (typeof v.exchanges)[number]): SignedRequest => ({ method: x.method, base: x.base, path: x.path, body: x.body });

describe('key derivation (spec §2–3) reproduces the independent vectors', () => {
  it('link id and claim keys from the token', () => {
    const s = deriveLinkSecrets(v.token)!;
    expect(s.linkId).toBe(v.linkId);
    expect(hex(s.claim.request)).toBe(v.claimKeys.request);
    expect(hex(s.claim.response)).toBe(v.claimKeys.response);
  });

  it('device keys from the RFC 7748 §6.1 key pairs', () => {
    const x = deviceExchange(deriveLinkSecrets(v.token)!.claim, v.pagePublic, boxKey)!;
    expect(x.boxKey).toBe(v.boxPublic);
    expect(hex(x.device.request)).toBe(v.deviceKeys.request);
    expect(hex(x.device.response)).toBe(v.deviceKeys.response);
  });

  it.each([
    ['42 characters', v.token.slice(1)],
    ['44 characters', `${v.token}A`],
    ['padding', `${v.token.slice(0, 42)}=`],
    ['standard base64 alphabet', `${v.token.slice(0, 42)}+`],
    ['non-canonical last character (spare bits set)', `${v.token.slice(0, 42)}h`],
  ])('a token with %s derives nothing', (_name, token) => {
    expect(tokenBytes(token)).toBeNull();
    expect(deriveLinkSecrets(token)).toBeNull();
  });

  it('minted links are 43 canonical characters and derive what the box keeps', () => {
    const { token, secrets } = mintLink();
    expect(tokenBytes(token)).not.toBeNull();
    expect(deriveLinkSecrets(token)!.linkId).toBe(secrets.linkId);
  });

  it.each([
    ['the all-zero point', Buffer.alloc(32)],
    ['u = 1 (order 4)', Buffer.from(`01${'00'.repeat(31)}`, 'hex')],
    ['a point of order 8', Buffer.from('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', 'hex')],
  ])('a page key at %s is refused', (_name, raw) => {
    expect(deviceExchange(deriveLinkSecrets(v.token)!.claim, raw.toString('base64url'))).toBeNull();
  });
});

describe('canonical texts and MACs match the vectors byte for byte', () => {
  it.each(v.exchanges.map((x) => [x.name, x] as const))('%s: request', (_name, x) => {
    expect(canonicalRequest({ method: x.method, base: x.base, path: x.path, id: v.linkId, n: x.n, key: x.key, bodySha256: bodySha256(x.body) })).toBe(x.canonical);
    const key = Buffer.from(x.name === 'claim' ? v.claimKeys.request : v.deviceKeys.request, 'hex');
    expect(signRequest(key, asRequest(x), v.linkId, x.n, x.key)).toBe(x.authorization);
  });

  it.each([claimX, resumeX, leaveX].map((x) => [x.name, x] as const))('%s: response', (_name, x) => {
    const r = x.response;
    const fields = { requestN: x.n, status: r.status, location: r.location, key: r.key, link: r.link, requestBodySha256: bodySha256(x.body), responseBodySha256: bodySha256(r.body) };
    expect(canonicalResponse(fields)).toBe(r.canonical);
    expect(responseProof(Buffer.from(v.deviceKeys.response, 'hex'), fields)).toBe(r.proof);
  });

  it('events', () => {
    for (const e of eventsX.events) {
      expect(canonicalEvent({ requestN: eventsX.n, seq: e.seq, data: e.data })).toBe(e.canonical);
      expect(signedEvent(Buffer.from(v.deviceKeys.response, 'hex'), eventsX.n, e.seq, e.data)).toBe(`id: ${e.seq}\ndata: ${e.data}\nproof: ${e.proof}\n\n`);
    }
  });
});

/** Walks the vectors' session through accept(), as the routes will. */
function walk(): { credential: LinkCredential } {
  let credential = claimable(deriveLinkSecrets(v.token)!);
  const c = accept(credential, present(claimX.authorization), asRequest(claimX), false);
  if (!c.ok || c.as !== 'claim') throw new Error('claim refused');
  const claimed = claim(c.credential, claimX.key!, boxKey)!;
  expect(claimed.exchange.boxKey).toBe(claimX.response.key);
  credential = claimed.credential;
  for (const x of [resumeX, eventsX, leaveX]) {
    const r = accept(credential, present(x.authorization), asRequest(x), false);
    if (!r.ok) throw new Error(`${x.name} refused`);
    expect(r.as).toBe('device');
    expect(r.n).toBe(x.n);
    credential = r.credential;
  }
  return { credential };
}

describe('accept(): one session of the vectors, then every replay', () => {
  it('claim, resume through the relay, events and leave (counters 1, 2, 4, 3: overtaking is fine)', () => {
    const { credential } = walk();
    expect(credential.kind).toBe('device');
  });

  it.each(v.exchanges.map((x) => [x.name, x] as const))('replaying the %s request is refused, and changes nothing', (_name, x) => {
    const { credential } = walk();
    const r = accept(credential, present(x.authorization), asRequest(x), true);
    expect(r.ok).toBe(false);
  });

  it('the claim cannot be made again with the token once a page claimed the link', () => {
    const { credential } = walk();
    const again = signRequest(Buffer.from(v.claimKeys.request, 'hex'), asRequest(claimX), v.linkId, 9, claimX.key);
    expect(accept(credential, present(again), asRequest(claimX), true).ok).toBe(false);
    expect(accept(credential, present(`Bearer ${v.token}`), asRequest(claimX), true).ok).toBe(false);
  });

  it('the claim keys are wiped once the link is claimed', () => {
    const secrets = deriveLinkSecrets(v.token)!;
    const c = accept(claimable(secrets), present(claimX.authorization), asRequest(claimX), false);
    if (!c.ok) throw new Error('claim refused');
    claim(c.credential, claimX.key!, boxKey);
    expect(secrets.claim.request.equals(Buffer.alloc(32))).toBe(true);
    expect(secrets.claim.response.equals(Buffer.alloc(32))).toBe(true);
  });
});

describe('accept(): a changed request is refused and leaves the window where it was', () => {
  const fresh = (): LinkCredential => claimable(deriveLinkSecrets(v.token)!);
  const base = asRequest(claimX);
  const cases: Array<[string, string, SignedRequest]> = [
    ['another method', claimX.authorization, { ...base, method: 'PUT' }],
    ['another Host (base)', claimX.authorization, { ...base, base: 'http://rebind.example:8080' }],
    ['another scheme', claimX.authorization, { ...base, base: 'https://192.168.1.20:8080' }],
    ['another path', claimX.authorization, { ...base, path: '/whep/x' }],
    ['a query added', claimX.authorization, { ...base, path: '/whep?x=1' }],
    ['one byte of the offer changed', claimX.authorization, { ...base, body: claimX.body.replace('AB:CD', 'AB:CE') }],
    ['the offer with its last CRLF dropped', claimX.authorization, { ...base, body: claimX.body.slice(0, -2) }],
    ['a higher counter', claimX.authorization.replace('n=1,', 'n=2,'), base],
    ['no key', claimX.authorization.replace(/, key=[^,]+/, ''), base],
    ['another key', claimX.authorization.replace(claimX.key!, v.boxPublic), base],
    ['a MAC from another request', claimX.authorization.replace(claimX.mac, resumeX.mac), base],
    ['a MAC with one character changed', claimX.authorization.replace(claimX.mac, `${claimX.mac.slice(0, 10)}${claimX.mac[10] === 'A' ? 'B' : 'A'}${claimX.mac.slice(11)}`), base],
    ['a MAC spelled with a different spare bit', claimX.authorization.replace(claimX.mac, `${claimX.mac.slice(0, 42)}${claimX.mac[42] === '8' ? '9' : '8'}`), base],
    ['the id of another link', claimX.authorization.replace(v.linkId, mintLink().secrets.linkId), base],
    ['Bearer while not allowed', `Bearer ${v.token}`, base],
    ['a Bearer with another token', `Bearer ${mintLink().token}`, base],
    ['no Authorization at all', '', base],
    ['Basic', 'Basic dXNlcjpwYXNz', base],
  ];
  it.each(cases)('%s', (_name, authorization, req) => {
    const credential = fresh();
    const r = accept(credential, present(authorization || undefined), req, false);
    expect(r.ok).toBe(false);
    // The genuine request still goes through: the refusal did not move the window.
    expect(accept(credential, present(claimX.authorization), base, false).ok).toBe(true);
  });

  it('an unknown link (no credential) is refused', () => {
    expect(accept(undefined, present(claimX.authorization), base, true).ok).toBe(false);
    expect(accept(undefined, present(`Bearer ${v.token}`), base, true).ok).toBe(false);
  });
});

describe('Bearer for standard WHEP players (spec §8)', () => {
  it('claims an unused link where allowed, and stays its credential afterwards', () => {
    const presented = present(`Bearer ${v.token}`);
    expect(presentedLinkId(presented)).toBe(v.linkId);
    const credential = claimable(deriveLinkSecrets(v.token)!);
    const r = accept(credential, presented, asRequest(claimX), true);
    expect(r.ok && r.as).toBe('bearer');
    const bound = claimByBearer(credential)!;
    expect(bound.kind).toBe('bearer');
    expect(accept(bound, present(`bearer  ${v.token} `), { method: 'DELETE', base: claimX.base, path: '/whep/x', body: '' }, true).ok).toBe(true);
    // A page proof cannot take over a link a player holds.
    expect(accept(bound, present(claimX.authorization), asRequest(claimX), true).ok).toBe(false);
  });

  it.each([
    ['never', 'http', false], ['never', 'https', false], ['never', 'tunnel', false],
    ['tls', 'http', false], ['tls', 'https', true], ['tls', 'tunnel', false],
    ['always', 'http', true], ['always', 'https', true], ['always', 'tunnel', false],
  ] as const)('policy %s on the %s listener: %s', (policy, listener, allowed) => {
    expect(bearerAllowedOn(policy, listener)).toBe(allowed);
  });
});
