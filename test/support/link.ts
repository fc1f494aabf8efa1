/**
 * Reading the box's viewer link in tests: `<base>/v#t=<token>&f=<fingerprint>` (the stable
 * format since per-session DTLS keys; the older `<base>/v#<token>` is still understood).
 */

/** The `/v#...` link shape: 256-bit token and SHA-256 fingerprint, both base64url (43 chars). */
export const LINK_PATTERN = /^http:\/\/[^/]+:\d+\/v#t=[A-Za-z0-9_-]{43}&f=[A-Za-z0-9_-]{43}$/;

function fragment(link: string): Map<string, string> {
  const hash = new URL(link).hash.slice(1);
  if (!hash.includes('=')) return new Map([['t', hash]]);
  return new Map(hash.split('&').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as [string, string]));
}

/** The one-time token a link carries. Throws if there is none. */
export function tokenFromLink(link: string): string {
  const t = fragment(link).get('t');
  if (!t) throw new Error('link has no token in its fragment');
  return t;
}

/** The pinned DTLS fingerprint (base64url SHA-256) a link carries, or undefined. */
export function fingerprintFromLink(link: string): string | undefined {
  return fragment(link).get('f');
}

/** base64url SHA-256 → the SDP form `AB:CD:...` (RFC 8122 §5). */
export function sdpFingerprintOf(base64url: string): string {
  return [...Buffer.from(base64url, 'base64url')].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}
