/**
 * The box's half of sonobox/v1 (docs/credential-scheme.md) in plain TypeScript, for the
 * page's unit tests in Node without node:crypto: it checks each request's proof and signs
 * what it answers, so the WhepClient tests run against real MACs instead of skipping them.
 * The box's own implementation is appliance/src/credentials/; the two are held to each
 * other by appliance/src/credentials/page-interop.test.ts, not by this file.
 */
import { canonicalEvent, canonicalRequest, canonicalResponse, formatEvent, LABEL, parseProof } from '../../../appliance/src/credentials/wire-format.js';
import { concat, fromBase64url, toBase64url, toHex, utf8 } from '../crypto/bytes.js';
import { hkdfSha256, hmacSha256 } from '../crypto/hmac.js';
import { sha256 } from '../crypto/sha256.js';
import { x25519, x25519PublicKey } from '../crypto/x25519.js';

interface Keys {
  readonly request: Uint8Array;
  readonly response: Uint8Array;
}

/** What a fake response is made of before it is signed. */
export interface Answer {
  readonly status: number;
  readonly location?: string;
  readonly link?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

const hex256 = (text: string): string => toHex(sha256(utf8(text)));

export class FakeBoxKeys {
  readonly linkId: string;
  #claim: Keys;
  #device: Keys | null = null;
  /** Counters seen (the box refuses a repeat). */
  readonly counters: number[] = [];

  constructor(token: string, private readonly base: string) {
    const t = fromBase64url(token);
    if (t === null || t.length !== 32) throw new Error('not a token');
    const noSalt = new Uint8Array(0);
    this.linkId = toBase64url(hmacSha256(t, utf8(LABEL.linkId)));
    this.#claim = { request: hkdfSha256(t, noSalt, utf8(LABEL.claimRequestKey), 32), response: hkdfSha256(t, noSalt, utf8(LABEL.claimResponseKey), 32) };
  }

  get claimed(): boolean {
    return this.#device !== null;
  }

  /** True when `authorization` is a fresh, correct proof of this request with the current keys. */
  verify(method: string, path: string, authorization: string | undefined, body: string): boolean {
    const proof = parseProof(authorization);
    if (proof === null || proof.id !== this.linkId || this.counters.includes(proof.n)) return false;
    if ((proof.key !== null) !== (this.#device === null)) return false;
    const text = canonicalRequest({ method, base: this.base, path, id: proof.id, n: proof.n, key: proof.key, bodySha256: hex256(body) });
    const keys = this.#device ?? this.#claim;
    if (text === null || toBase64url(hmacSha256(keys.request, utf8(text))) !== proof.mac) return false;
    this.counters.push(proof.n);
    return true;
  }

  /**
   * Signs `answer` as the box's response to the request (`authorization`, `requestBody`).
   * A claim's 201 runs the box's side of the X25519 exchange first (`boxSecret`: 32 bytes).
   */
  sign(authorization: string, requestBody: string, answer: Answer, boxSecret = new Uint8Array(32).fill(9)): Record<string, string> {
    const proof = parseProof(authorization);
    if (proof === null) throw new Error('sign() needs the request the page sent');
    const headers: Record<string, string> = { ...answer.headers };
    let keys = this.#device ?? this.#claim;
    let key = '';
    if (this.#device === null && proof.key !== null && answer.status === 201) {
      const a = fromBase64url(proof.key)!;
      const b = x25519PublicKey(boxSecret);
      const z = x25519(boxSecret, a);
      const info = (label: string): Uint8Array => concat(utf8(label), a, b);
      this.#device = { request: hkdfSha256(z, this.#claim.request, info(LABEL.deviceRequestKey), 32), response: hkdfSha256(z, this.#claim.request, info(LABEL.deviceResponseKey), 32) };
      keys = this.#device;
      key = toBase64url(b);
      headers['X-Sonobox-Key'] = key;
    }
    if (answer.location) headers.Location = answer.location;
    if (answer.link) headers.Link = answer.link;
    const text = canonicalResponse({ requestN: proof.n, status: answer.status, location: answer.location ?? '', key, link: answer.link ?? '', requestBodySha256: hex256(requestBody), responseBodySha256: hex256(answer.body ?? '') });
    if (text === null) throw new Error('response fields out of shape');
    headers['X-Sonobox-Proof'] = toBase64url(hmacSha256(keys.response, utf8(text)));
    return headers;
  }

  /** Event number `seq` of the stream the GET with counter `requestN` opened, as the box writes it. */
  event(requestN: number, seq: number, data: string): string {
    const keys = this.#device ?? this.#claim;
    const text = canonicalEvent({ requestN, seq, data });
    if (text === null) throw new Error('event fields out of shape');
    return formatEvent(seq, data, toBase64url(hmacSha256(keys.response, utf8(text))));
  }
}
