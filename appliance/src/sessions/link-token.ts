/**
 * Link tokens and resume secrets: 256 random bits, spelled base64url (43 characters,
 * RFC 4648 §5, no padding). The box keeps only their SHA-256 hashes; the plain value
 * exists in the link (or the resume header) and in memory while a request is answered.
 *
 * Lookups compare hashes, so an unknown, used or expired credential costs one hash and
 * one scan of the same table, whatever the reason it is refused.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Bytes of randomness in a token or resume secret (256 bits). */
export const TOKEN_BYTES = 32;

/** A credential's shape: exactly 43 base64url characters. Anything else is refused unhashed. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** SHA-256 of a credential, hex. Never log it either: it identifies a link. */
export type CredentialHash = string & { readonly __brand: 'CredentialHash' };

/** A freshly minted credential: the plain value to hand out once, and the hash to keep. */
export interface MintedCredential {
  readonly value: string;
  readonly hash: CredentialHash;
}

/** Mints a link token or resume secret from the operating system's CSPRNG. */
export function mintCredential(): MintedCredential {
  const value = randomBytes(TOKEN_BYTES).toString('base64url');
  return { value, hash: hashCredential(value) };
}

/** Hashes a presented credential. Malformed input hashes too, so refusals cost the same. */
export function hashCredential(value: string): CredentialHash {
  return createHash('sha256').update(value, 'utf8').digest('hex') as CredentialHash;
}

/**
 * Pulls the credential out of an `Authorization: Bearer <credential>` header (RFC 6750 §2.1).
 * Returns '' when the header is missing or malformed: '' never matches a stored hash,
 * so the caller answers it exactly like an unknown token.
 */
export function bearerCredential(header: string | undefined): string {
  if (header === undefined) return '';
  const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  const value = m?.[1] ?? '';
  return TOKEN_PATTERN.test(value) ? value : '';
}

/** Short random id for links and sessions (not a secret; never appears in a URL). */
export function randomId(): string {
  return randomBytes(9).toString('base64url');
}
