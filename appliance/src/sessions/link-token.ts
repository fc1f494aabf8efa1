/**
 * Short random ids for sessions (not secrets; never in a URL). Link tokens and what the box
 * keeps instead of them live in credentials/link-keys.ts.
 */
import { randomBytes } from 'node:crypto';

/** Short random id (72 bits, base64url). */
export function randomId(): string {
  return randomBytes(9).toString('base64url');
}
