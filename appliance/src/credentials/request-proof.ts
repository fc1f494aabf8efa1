/**
 * Request MACs, box side (docs/credential-scheme.md §4): HMAC-SHA256 with a link's request
 * key over the canonical request of wire-format.ts, compared in constant time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalRequest, formatProof, type Proof, type RequestFields } from './wire-format.js';

/** A request as the box received it (or a test client is about to send it). */
export interface SignedRequest {
  readonly method: string;
  /** The box as the page addresses it: `<listener scheme>://<Host header><listener prefix>`. */
  readonly base: string;
  /** The request-target as received, path and query (box-relative). */
  readonly path: string;
  /** The exact body bytes; '' for GET and DELETE. */
  readonly body: string | Uint8Array;
}

/** Lower-case hex SHA-256 of a body (a string body is its UTF-8 bytes). */
export function bodySha256(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

/** base64url HMAC-SHA256 of a canonical text. */
export function macOf(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text, 'utf8').digest('base64url');
}

function fieldsOf(req: SignedRequest, id: string, n: number, key: string | null): RequestFields {
  return { method: req.method, base: req.base, path: req.path, id, n, key, bodySha256: bodySha256(req.body) };
}

// Refusals must cost what acceptances cost: an unknown link or an unbuildable text is
// still MACed, with this key, and compared.
const NO_KEY = Buffer.alloc(32);
const NO_TEXT = 'sonobox/v1 nothing';

/**
 * True when `proof.mac` is the MAC of `req` under `key`. Always hashes the body, computes
 * one HMAC and compares in constant time, whether the key is known or the fields are sane.
 */
export function proofMatches(key: Buffer | null, proof: Proof, req: SignedRequest): boolean {
  const text = canonicalRequest(fieldsOf(req, proof.id, proof.n, proof.key));
  const expected = Buffer.from(macOf(key ?? NO_KEY, text ?? NO_TEXT), 'ascii');
  const given = Buffer.from(proof.mac, 'ascii'); // 43 characters: the header parser said so
  return timingSafeEqual(expected, given) && key !== null && text !== null;
}

/**
 * The Authorization header for a request (what the page does, for test clients written in
 * Node: non-browser viewers and the hostile suite). Throws on fields out of shape.
 */
export function signRequest(key: Buffer, req: SignedRequest, id: string, n: number, pageKey: string | null = null): string {
  const text = canonicalRequest(fieldsOf(req, id, n, pageKey));
  if (text === null) throw new RangeError('request fields out of shape for a Sonobox-Proof');
  return formatProof({ id, n, key: pageKey, mac: macOf(key, text) });
}
