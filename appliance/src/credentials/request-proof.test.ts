import { describe, expect, it } from 'vitest';
import { accept, claimable, present, type LinkCredential } from './link-credential.js';
import { freshWindow } from './replay-window.js';
import { mintLink } from './link-keys.js';
import { signRequest, type SignedRequest } from './request-proof.js';
import { formatProof, parseProof, type Proof } from './wire-format.js';

/** mulberry32: a small seeded PRNG, so a failure names its case and replays. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const PRINTABLE = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');

interface Case {
  readonly req: SignedRequest;
  readonly proof: Proof;
}

function generate(rand: () => number, linkId: string, key: Buffer, pageKey: string | null): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const method = pick(['POST', 'GET', 'DELETE']);
  const base = pick(['http://192.168.1.20:8080', 'https://box.clinic.example', 'https://relay.example.org/b/cart-3', 'http://[fd00::5]:8080']);
  const resource = Array.from({ length: 22 }, () => pick([...B64U])).join('');
  const path = pick(['/whep', `/whep/${resource}`, `/whep/${resource}/events`]);
  const body = method === 'POST' ? Uint8Array.from({ length: 1 + Math.floor(rand() * 1500) }, () => Math.floor(rand() * 256)) : new Uint8Array(0);
  const n = 1 + Math.floor(rand() * 1000);
  const req = { method, base, path, body };
  const proof = parseProof(signRequest(key, req, linkId, n, pageKey))!;
  return { req, proof };
}

const changeChar = (rand: () => number, s: string, alphabet: string): string => {
  const i = Math.floor(rand() * s.length);
  let c = s[i]!;
  while (c === s[i]) c = alphabet[Math.floor(rand() * alphabet.length)]!;
  return s.slice(0, i) + c + s.slice(i + 1);
};

/** One random change to what the MAC covers or to the proof itself. */
function mutate(rand: () => number, c: Case): Case & { readonly what: string } {
  const { req, proof } = c;
  const body = req.body as Uint8Array;
  const kinds = [
    (): [string, Case] => ['method', { proof, req: { ...req, method: ['POST', 'GET', 'DELETE', 'PUT', 'PATCH'].filter((m) => m !== req.method)[Math.floor(rand() * 4)]! } }],
    (): [string, Case] => ['base', { proof, req: { ...req, base: changeChar(rand, req.base, PRINTABLE) } }],
    (): [string, Case] => ['path', { proof, req: { ...req, path: `/${changeChar(rand, req.path.slice(1) || 'x', PRINTABLE)}` } }],
    (): [string, Case] => ['path with a query', { proof, req: { ...req, path: `${req.path}?t=1` } }],
    (): [string, Case] => {
      if (body.length === 0) return ['body added', { proof, req: { ...req, body: Uint8Array.of(0) } }];
      const b = body.slice();
      const i = Math.floor(rand() * b.length);
      b[i] = b[i]! ^ (1 << Math.floor(rand() * 8));
      return ['one body bit', { proof, req: { ...req, body: b } }];
    },
    (): [string, Case] => ['body truncated or extended', { proof, req: { ...req, body: body.length > 0 && rand() < 0.5 ? body.slice(0, -1) : Uint8Array.from([...body, 10]) } }],
    (): [string, Case] => ['counter', { req, proof: { ...proof, n: proof.n + 1 + Math.floor(rand() * 5) } }],
    (): [string, Case] => ['link id', { req, proof: { ...proof, id: changeChar(rand, proof.id, B64U) } }],
    (): [string, Case] => ['mac', { req, proof: { ...proof, mac: changeChar(rand, proof.mac, B64U) } }],
    (): [string, Case] => ['key', { req, proof: { ...proof, key: proof.key === null ? changeChar(rand, proof.id, B64U) : rand() < 0.5 ? null : changeChar(rand, proof.key, B64U) } }],
  ];
  const [what, changed] = kinds[Math.floor(rand() * kinds.length)]!();
  return { ...changed, what };
}

describe('request MACs: no change to a valid request verifies (seeded property)', () => {
  it.each([
    ['a claim (claim keys, page key present)', true],
    ['a later request (device keys, no page key)', false],
  ])('%s', (_name, isClaim) => {
    const rand = prng(isClaim ? 20261124 : 20261125);
    const failures: string[] = [];
    const counts = new Map<string, number>();
    const links = Array.from({ length: 16 }, () => mintLink().secrets);
    const pageKeys = Array.from({ length: 16 }, () => mintLink().token);
    for (let i = 0; i < 1000; i++) {
      const secrets = links[i % links.length]!;
      // A device credential is a claimable one that has moved on: same shape, other keys.
      const credential: LinkCredential = isClaim ? claimable(secrets) : { kind: 'device', linkId: secrets.linkId, keys: secrets.claim, window: freshWindow };
      const pageKey = isClaim ? pageKeys[i % pageKeys.length]! : null;
      const c = generate(rand, secrets.linkId, secrets.claim.request, pageKey);
      const m = mutate(rand, c);
      counts.set(m.what, (counts.get(m.what) ?? 0) + 1);
      if (accept(credential, present(formatProof(m.proof)), m.req, false).ok) failures.push(`case ${i}: ${m.what}`);
      if (!accept(credential, present(formatProof(c.proof)), c.req, false).ok) failures.push(`case ${i}: the unchanged request was refused`);
    }
    expect(failures).toEqual([]);
    expect(counts.size).toBeGreaterThanOrEqual(10); // every kind of change was tried
  });
});

describe('the Sonobox-Proof header grammar', () => {
  const id = mintLink().token;
  const mac = mintLink().token;
  const key = mintLink().token;
  it.each([
    ['as formatted', `Sonobox-Proof id=${id}, n=1, mac=${mac}`, { id, n: 1, key: null, mac }],
    ['with a key', `Sonobox-Proof id=${id}, n=7, key=${key}, mac=${mac}`, { id, n: 7, key, mac }],
    ['scheme and names in another case', `sonobox-proof ID=${id},N=4294967295 , MAC=${mac}`, { id, n: 4294967295, key: null, mac }],
  ])('reads %s', (_name, header, proof) => {
    expect(parseProof(header)).toEqual(proof);
  });

  it.each([
    ['another order', `Sonobox-Proof n=1, id=${id}, mac=${mac}`],
    ['a counter of 0', `Sonobox-Proof id=${id}, n=0, mac=${mac}`],
    ['a leading zero', `Sonobox-Proof id=${id}, n=01, mac=${mac}`],
    ['a counter over 2^32-1', `Sonobox-Proof id=${id}, n=4294967296, mac=${mac}`],
    ['a short mac', `Sonobox-Proof id=${id}, n=1, mac=${mac.slice(1)}`],
    ['padding', `Sonobox-Proof id=${id}, n=1, mac=${mac}=`],
    ['a parameter twice', `Sonobox-Proof id=${id}, n=1, n=2, mac=${mac}`],
    ['an extra parameter', `Sonobox-Proof id=${id}, n=1, mac=${mac}, x=1`],
    ['a quoted value', `Sonobox-Proof id="${id}", n=1, mac=${mac}`],
    ['a line break', `Sonobox-Proof id=${id},\n n=1, mac=${mac}`],
    ['no scheme', `id=${id}, n=1, mac=${mac}`],
    ['Bearer', `Bearer ${id}`],
    ['nothing', undefined],
    ['a huge header', `Sonobox-Proof id=${id}, n=1, mac=${mac}${' '.repeat(300)}`],
  ])('refuses %s', (_name, header) => {
    expect(parseProof(header)).toBeNull();
  });
});
