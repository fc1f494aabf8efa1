/**
 * Keys of the sonobox/v1 scheme, box side (docs/credential-scheme.md §2–3), node:crypto only.
 *
 *   token T (32 random bytes, in the link's fragment only)
 *     linkId       = b64u HMAC-SHA256(T, "sonobox/v1 link-id")              public: finds the link
 *     claim keys   = HKDF-SHA256(ikm T, no salt, "sonobox/v1 claim …-key")   sign the claim
 *   the claim's X25519 exchange (RFC 7748): page key A, box key B, Z = X25519(b, A)
 *     device keys  = HKDF-SHA256(ikm Z, salt claim request key, "sonobox/v1 device …-key" ‖ A ‖ B)
 *
 * The box keeps a link's id and its claim keys until the claim, then only the device keys:
 * T is forgotten once the link is printed, b and Z once the claim is answered. A value here
 * is a key: never log it, never write it anywhere.
 */
import { createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { B64U_32, LABEL } from './wire-format.js';

/** A request key and a response key, 32 bytes each. */
export interface KeyPair {
  readonly request: Buffer;
  readonly response: Buffer;
}

/** What the box derives from a link token, then keeps instead of it. */
export interface LinkSecrets {
  readonly linkId: string;
  readonly claim: KeyPair;
}

/** The 32 bytes of a token spelled canonically (43 base64url characters), else null. */
export function tokenBytes(token: string): Buffer | null {
  if (!B64U_32.test(token)) return null;
  const bytes = Buffer.from(token, 'base64url');
  // 43 characters carry 258 bits: the spare 2 must be zero, so each token has one spelling.
  return bytes.length === 32 && bytes.toString('base64url') === token ? bytes : null;
}

function hkdf32(ikm: Buffer, salt: Buffer, info: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
}

/** linkId and claim keys of a token; null when the token is not one the box could have made. */
export function deriveLinkSecrets(token: string): LinkSecrets | null {
  const t = tokenBytes(token);
  if (t === null) return null;
  const noSalt = Buffer.alloc(0); // RFC 5869 §2.2: HashLen zero bytes
  return {
    linkId: createHmac('sha256', t).update(LABEL.linkId, 'utf8').digest('base64url'),
    claim: {
      request: hkdf32(t, noSalt, Buffer.from(LABEL.claimRequestKey, 'utf8')),
      response: hkdf32(t, noSalt, Buffer.from(LABEL.claimResponseKey, 'utf8')),
    },
  };
}

/** A fresh link: the token to put into the link once, and what the box keeps instead. */
export function mintLink(): { readonly token: string; readonly secrets: LinkSecrets } {
  const token = randomBytes(32).toString('base64url');
  return { token, secrets: deriveLinkSecrets(token)! };
}

/** The box's half of a claim's key exchange, and the keys it yields. */
export interface DeviceExchange {
  /** b64u of the box's X25519 public key B: goes to the page in X-Sonobox-Key. */
  readonly boxKey: string;
  readonly device: KeyPair;
}

// RFC 8410 §7: PKCS#8 prefix of a raw X25519 private key (for the fixed keys of test vectors).
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** An X25519 private key object from 32 raw bytes. For test vectors; the box draws its own. */
export function x25519PrivateKey(raw: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

/**
 * Completes a claim's exchange with the page's public key A (b64u). Null when A is not a
 * usable key: a small-order point gives an all-zero Z (RFC 7748 §6.1), which must be refused.
 */
export function deviceExchange(claim: KeyPair, pageKey: string, boxPrivateKey?: KeyObject): DeviceExchange | null {
  if (!B64U_32.test(pageKey)) return null;
  const a = Buffer.from(pageKey, 'base64url');
  if (a.length !== 32) return null;
  const privateKey = boxPrivateKey ?? generateKeyPairSync('x25519').privateKey;
  const boxKey = String(createPublicKey(privateKey).export({ format: 'jwk' }).x);
  let z: Buffer;
  try {
    z = diffieHellman({ privateKey, publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: pageKey }, format: 'jwk' }) });
  } catch {
    return null; // OpenSSL refuses small-order points itself
  }
  if (z.length !== 32 || timingSafeEqual(z, Buffer.alloc(32))) return null;
  const b = Buffer.from(boxKey, 'base64url');
  const info = (label: string): Buffer => Buffer.concat([Buffer.from(label, 'utf8'), a, b]);
  const device = { request: hkdf32(z, claim.request, info(LABEL.deviceRequestKey)), response: hkdf32(z, claim.request, info(LABEL.deviceResponseKey)) };
  z.fill(0);
  return { boxKey, device };
}

/** Overwrites a key pair that is no longer needed (link claimed, revoked or session ended). */
export function wipe(keys: KeyPair): void {
  keys.request.fill(0);
  keys.response.fill(0);
}
