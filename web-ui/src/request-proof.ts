/**
 * The viewer page's half of the sonobox/v1 credential scheme (docs/credential-scheme.md):
 * it proves it holds the link without ever sending the token, and believes only what the
 * box signed. Pure and DOM-free: the caller passes randomness (crypto.getRandomValues,
 * which unlike crypto.subtle exists on plain-HTTP pages) and does the fetching.
 *
 *   const p = startProver(link.token)                       // derive; the token is dropped
 *   const claim = signRequest(p, { method: 'POST', base, path: '/whep', body: offer }, random)
 *   fetch(…, { headers: { Authorization: claim.request.authorization }, body: offer })
 *   completeClaim(claim.prover, claim.request, response)  → device keys, or null: refuse
 *   signRequest(…) for resume / events / DELETE; verifyResponse, verifyEvent for what comes back
 *
 * Every request gets the next counter, including retries: a signed request is never sent twice.
 */
import { canonicalEvent, canonicalRequest, canonicalResponse, formatProof, LABEL } from '../../appliance/src/credentials/wire-format.js';
import { concat, constantTimeEqual, fromBase64url, toBase64url, toHex, utf8 } from './crypto/bytes.js';
import { hkdfSha256, hmacSha256 } from './crypto/hmac.js';
import { sha256 } from './crypto/sha256.js';
import { x25519, x25519PublicKey } from './crypto/x25519.js';

interface Keys {
  readonly request: Uint8Array;
  readonly response: Uint8Array;
}

/** What the page keeps for its link, in memory only. */
export interface Prover {
  readonly linkId: string;
  /** Claim keys (from the token) until the claim succeeds, then the device keys. */
  readonly keys: Keys;
  readonly claimed: boolean;
  /** The counter the next request will carry. */
  readonly next: number;
}

/** A request as the page is about to send it. */
export interface RequestToSign {
  readonly method: 'POST' | 'GET' | 'DELETE';
  /** boxBase(location): the box as this page addresses it. */
  readonly base: string;
  /** Box-relative, e.g. '/whep', '/whep/<resource>/events'. */
  readonly path: string;
  readonly body: string;
}

export interface SignedRequest {
  readonly authorization: string;
  readonly n: number;
  readonly bodySha256: string;
  /** For a claim: the page's X25519 secret and public key, needed by completeClaim. */
  readonly exchange: { readonly secret: Uint8Array; readonly publicKey: string } | null;
}

/** A response as fetch gives it; headers absent are ''. */
export interface ResponseToCheck {
  readonly status: number;
  readonly location: string;
  /** X-Sonobox-Key. */
  readonly key: string;
  /** Headers.get('Link'). */
  readonly link: string;
  readonly body: string;
  /** X-Sonobox-Proof. */
  readonly proof: string;
}

/** One event read off the stream: its `id` (sequence), `data` and `proof` fields. */
export interface EventToCheck {
  readonly id: string | null;
  readonly data: string;
  readonly proof: string | null;
}

/** The box's address as this page sees it: origin plus the path before '/v' (a relay's prefix). */
export function boxBase(location: { readonly origin: string; readonly pathname: string }): string {
  return location.origin + location.pathname.replace(/\/v\/?$/, '');
}

const hex256 = (text: string): string => toHex(sha256(utf8(text)));

/** Derives what the page needs from the link's token; null if the token is not a box's. */
export function startProver(token: string): Prover | null {
  const t = token.length === 43 ? fromBase64url(token) : null;
  if (t === null || t.length !== 32) return null;
  const noSalt = new Uint8Array(0);
  return {
    linkId: toBase64url(hmacSha256(t, utf8(LABEL.linkId))),
    keys: { request: hkdfSha256(t, noSalt, utf8(LABEL.claimRequestKey), 32), response: hkdfSha256(t, noSalt, utf8(LABEL.claimResponseKey), 32) },
    claimed: false,
    next: 1,
  };
}

/**
 * Signs a request with the next counter. Before the claim has succeeded every request is a
 * claim and carries a fresh X25519 public key (`random(32)` supplies its secret).
 */
export function signRequest(p: Prover, req: RequestToSign, random: (length: number) => Uint8Array): { readonly prover: Prover; readonly request: SignedRequest } {
  const n = p.next;
  const bodySha256 = hex256(req.body);
  let exchange: SignedRequest['exchange'] = null;
  if (!p.claimed) {
    const secret = random(32);
    exchange = { secret, publicKey: toBase64url(x25519PublicKey(secret)) };
  }
  const key = exchange?.publicKey ?? null;
  const text = canonicalRequest({ method: req.method, base: req.base, path: req.path, id: p.linkId, n, key, bodySha256 });
  if (text === null) throw new RangeError(`cannot sign ${req.method} ${req.path} for ${req.base}`);
  const authorization = formatProof({ id: p.linkId, n, key, mac: toBase64url(hmacSha256(p.keys.request, utf8(text))) });
  return { prover: { ...p, next: n + 1 }, request: { authorization, n, bodySha256, exchange } };
}

function responseMatches(key: Uint8Array, sent: SignedRequest, r: ResponseToCheck): boolean {
  const text = canonicalResponse({ requestN: sent.n, status: r.status, location: r.location, key: r.key, link: r.link, requestBodySha256: sent.bodySha256, responseBodySha256: hex256(r.body) });
  const given = fromBase64url(r.proof);
  return text !== null && given !== null && constantTimeEqual(hmacSha256(key, utf8(text)), given);
}

/**
 * The claim's 201: derives the device keys from the box's key B and checks the box's MAC
 * with them. Returns the claimed prover, or null when the response is not the box's (then
 * the answer must not be used). The token's keys and the exchange secret are wiped.
 */
export function completeClaim(p: Prover, sent: SignedRequest, r: ResponseToCheck): Prover | null {
  if (p.claimed || sent.exchange === null || r.status !== 201) return null;
  const a = fromBase64url(sent.exchange.publicKey);
  const b = fromBase64url(r.key);
  if (a === null || b === null || a.length !== 32 || b.length !== 32) return null;
  const z = x25519(sent.exchange.secret, b);
  if (z.every((byte) => byte === 0)) return null; // RFC 7748 §6.1: a small-order key
  const info = (label: string): Uint8Array => concat(utf8(label), a, b);
  const device = { request: hkdfSha256(z, p.keys.request, info(LABEL.deviceRequestKey), 32), response: hkdfSha256(z, p.keys.request, info(LABEL.deviceResponseKey), 32) };
  z.fill(0);
  if (!responseMatches(device.response, sent, r)) return null;
  sent.exchange.secret.fill(0);
  p.keys.request.fill(0);
  p.keys.response.fill(0);
  return { linkId: p.linkId, keys: device, claimed: true, next: p.next };
}

/** True when the box signed this response to `sent` (any status but a claim's 201). */
export function verifyResponse(p: Prover, sent: SignedRequest, r: ResponseToCheck): boolean {
  return responseMatches(p.keys.response, sent, r);
}

/**
 * True when the box signed this event as number `expectedSeq` of the stream opened by the
 * request with counter `requestN`. Anything else (a heartbeat, a forged or reordered event)
 * is to be ignored.
 */
export function verifyEvent(p: Prover, requestN: number, expectedSeq: number, e: EventToCheck): boolean {
  if (e.id !== String(expectedSeq) || e.proof === null) return false;
  const text = canonicalEvent({ requestN, seq: expectedSeq, data: e.data });
  const given = fromBase64url(e.proof);
  return text !== null && given !== null && constantTimeEqual(hmacSha256(p.keys.response, utf8(text)), given);
}
