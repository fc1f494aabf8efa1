/**
 * The sonobox/v1 credential scheme's wire format (docs/credential-scheme.md): the labels
 * keys are derived with, the `Authorization: Sonobox-Proof …` header, and the exact text
 * each MAC covers. Both ends build these strings with this one module, so the box and the
 * viewer page cannot drift apart.
 *
 * Imported by the viewer page too (web-ui/src/request-proof.ts, bundled by esbuild): keep
 * it free of Node and DOM APIs. No crypto here; the callers MAC what this module spells.
 *
 * Every canonical text is its fields joined by LF, no trailing LF. A field can never
 * contain LF: each is checked against a pattern first, and a text with a field out of
 * pattern is not built at all (null), so two different requests never spell the same text.
 */

/** Domain-separation labels (HMAC / HKDF info), one per derived value (spec §2). */
export const LABEL = {
  linkId: 'sonobox/v1 link-id',
  claimRequestKey: 'sonobox/v1 claim request-key',
  claimResponseKey: 'sonobox/v1 claim response-key',
  deviceRequestKey: 'sonobox/v1 device request-key',
  deviceResponseKey: 'sonobox/v1 device response-key',
  request: 'sonobox/v1 request',
  response: 'sonobox/v1 response',
  event: 'sonobox/v1 event',
} as const;

/** The auth-scheme name (RFC 9110 §11.4; matched case-insensitively). */
export const PROOF_SCHEME = 'Sonobox-Proof';

/** Response header carrying the box's MAC over a response (spec §5). */
export const RESPONSE_PROOF_HEADER = 'X-Sonobox-Proof';
/** Response header carrying the box's X25519 public key in a claim's 201 (spec §3). */
export const BOX_KEY_HEADER = 'X-Sonobox-Key';

/** Largest counter a page may use: it starts at 1 and counts every request it signs. */
export const MAX_COUNTER = 0xffff_ffff;

/** base64url (RFC 4648 §5, no padding) of 32 bytes: token, link id, public keys, MACs. */
export const B64U_32 = /^[A-Za-z0-9_-]{43}$/;
const HEX_32 = /^[0-9a-f]{64}$/;
const METHOD = /^[A-Z]{1,16}$/;
/** scheme://host[:port][/prefix], as the page addresses the box; no trailing slash. */
const BASE = /^https?:\/\/[\x21-\x7e]{1,255}$/;
/** The request-target's path and query, as sent (box-relative, see spec §4). */
const PATH = /^\/[\x21-\x7e]{0,2047}$/;
/** A header value as fetch's Headers.get() gives it: printable ASCII and spaces. */
const HEADER_VALUE = /^[\x20-\x7e]{0,4096}$/;
/** An event's data line: JSON text without line breaks. */
const EVENT_DATA = /^[^\r\n]{0,4096}$/;

/** The parameters of one `Authorization: Sonobox-Proof` header. */
export interface Proof {
  /** The link id: public, derived from the token; finds the link. */
  readonly id: string;
  /** The page's request counter, 1 … MAX_COUNTER, never reused for a link. */
  readonly n: number;
  /** The page's X25519 public key; present only in a claim. */
  readonly key: string | null;
  /** base64url HMAC-SHA256 over the canonical request. */
  readonly mac: string;
}

export function isCounter(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_COUNTER;
}

/** `Sonobox-Proof id=…, n=…[, key=…], mac=…`. Throws on a field out of shape (a caller bug). */
export function formatProof(p: Proof): string {
  if (!B64U_32.test(p.id) || !isCounter(p.n) || !B64U_32.test(p.mac) || (p.key !== null && !B64U_32.test(p.key))) {
    throw new RangeError('Sonobox-Proof fields out of shape');
  }
  return `${PROOF_SCHEME} id=${p.id}, n=${p.n}${p.key === null ? '' : `, key=${p.key}`}, mac=${p.mac}`;
}

const PROOF_HEADER = /^sonobox-proof +id=([A-Za-z0-9_-]{43}) *, *n=([1-9][0-9]{0,9}) *(?:, *key=([A-Za-z0-9_-]{43}) *)?, *mac=([A-Za-z0-9_-]{43}) *$/i;

/**
 * Reads an Authorization header written by formatProof. Parameters in that order, names
 * case-insensitive, optional spaces around commas; anything else is null (refused).
 */
export function parseProof(header: string | undefined): Proof | null {
  if (header === undefined || header.length > 256) return null;
  const m = PROOF_HEADER.exec(header);
  if (!m) return null;
  const n = Number(m[2]);
  if (!isCounter(n)) return null;
  return { id: m[1]!, n, key: m[3] ?? null, mac: m[4]! };
}

/** What a request MAC covers (spec §4). */
export interface RequestFields {
  readonly method: string;
  /** The box as the page addresses it: `location.origin` plus any path prefix before /v. */
  readonly base: string;
  /** Box-relative path and query, e.g. `/whep` or `/whep/<resource>/events`. */
  readonly path: string;
  readonly id: string;
  readonly n: number;
  readonly key: string | null;
  /** Lower-case hex SHA-256 of the exact body bytes ('' body for GET and DELETE). */
  readonly bodySha256: string;
}

/** The text a request MAC covers, or null when a field is out of shape. */
export function canonicalRequest(f: RequestFields): string | null {
  if (!METHOD.test(f.method) || !BASE.test(f.base) || f.base.endsWith('/') || !PATH.test(f.path)) return null;
  if (!B64U_32.test(f.id) || !isCounter(f.n) || (f.key !== null && !B64U_32.test(f.key)) || !HEX_32.test(f.bodySha256)) return null;
  return [LABEL.request, f.method, f.base, f.path, f.id, String(f.n), f.key ?? '', f.bodySha256].join('\n');
}

/** What a response MAC covers (spec §5). Absent headers are ''. */
export interface ResponseFields {
  /** The counter of the request this answers: binds the response to that one request. */
  readonly requestN: number;
  readonly status: number;
  readonly location: string;
  /** The box's X25519 public key (X-Sonobox-Key), in a claim's 201 only. */
  readonly key: string;
  /** The Link header(s) as Headers.get('Link') joins them (ICE servers, RFC 9725 §4.4). */
  readonly link: string;
  readonly requestBodySha256: string;
  readonly responseBodySha256: string;
}

/** The text a response MAC covers, or null when a field is out of shape. */
export function canonicalResponse(f: ResponseFields): string | null {
  if (!isCounter(f.requestN) || !Number.isInteger(f.status) || f.status < 100 || f.status > 599) return null;
  if (!HEADER_VALUE.test(f.location) || (f.key !== '' && !B64U_32.test(f.key)) || !HEADER_VALUE.test(f.link)) return null;
  if (!HEX_32.test(f.requestBodySha256) || !HEX_32.test(f.responseBodySha256)) return null;
  return [LABEL.response, String(f.requestN), String(f.status), f.location, f.key, f.link, f.requestBodySha256, f.responseBodySha256].join('\n');
}

/** What an event MAC covers (spec §6). */
export interface EventFields {
  /** The counter of the GET …/events request that opened this stream. */
  readonly requestN: number;
  /** 0, 1, 2 … within that stream, so events cannot be dropped from the middle or reordered. */
  readonly seq: number;
  /** The event's JSON text exactly as sent on its `data:` line. */
  readonly data: string;
}

/** The text an event MAC covers, or null when a field is out of shape. */
export function canonicalEvent(f: EventFields): string | null {
  if (!isCounter(f.requestN) || !Number.isInteger(f.seq) || f.seq < 0 || f.seq > MAX_COUNTER || !EVENT_DATA.test(f.data)) return null;
  return [LABEL.event, String(f.requestN), String(f.seq), f.data].join('\n');
}

/**
 * One Server-Sent Event as the box writes it (WHATWG HTML §9.2): `id` is the sequence
 * number and `proof` the MAC. EventSource ignores the unknown `proof` field; the page reads
 * the stream with fetch and checks it.
 */
export function formatEvent(seq: number, data: string, proof: string): string {
  return `id: ${seq}\ndata: ${data}\nproof: ${proof}\n\n`;
}
