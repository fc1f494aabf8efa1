/**
 * Checking the box's DTLS certificate (RFC 8122 §5, `a=fingerprint:<hash> <hex:hex:...>`)
 * against the fingerprint the QR code carried, so a look-alike box on the same Wi-Fi
 * cannot answer in its place.
 *
 * Accepted forms of the link's `f=` value (all compared as raw digest bytes):
 *   - SDP-style hex with colons, optionally prefixed `sha-256 ` or `sha-256:`;
 *   - plain hex of a SHA-256 digest (64 hex digits);
 *   - base64url of the digest bytes (43 characters for SHA-256), the compact QR form.
 */

const HEX_COLONS = /^[0-9a-f]{2}(?::[0-9a-f]{2})+$/i;
const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

/** normalizeFingerprint gives lower-case hex without separators, or null if unreadable. */
export function normalizeFingerprint(value: string): string | null {
  const v = value.trim().replace(/^sha-256[ :]/i, '').trim();
  if (HEX_COLONS.test(v)) return v.replaceAll(':', '').toLowerCase();
  if (HEX_SHA256.test(v)) return v.toLowerCase();
  if (BASE64URL.test(v)) {
    const bytes = base64urlBytes(v);
    // Shorter than any real digest means it was not a digest.
    if (bytes === null || bytes.length < 16) return null;
    return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  return null;
}

function base64urlBytes(v: string): number[] | null {
  const b64 = v.replace(/=+$/, '').replaceAll('-', '+').replaceAll('_', '/');
  try {
    const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '='));
    return Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
}

/** answerFingerprints lists every `a=fingerprint` value in an SDP (session or media level). */
export function answerFingerprints(sdp: string): string[] {
  const found: string[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    const m = /^a=fingerprint:(\S+)\s+(\S+)\s*$/.exec(line);
    if (m?.[1] && m[2]) {
      const hex = normalizeFingerprint(m[2]);
      if (hex) found.push(hex);
    }
  }
  return found;
}

/**
 * fingerprintMatches is true when the answer carries at least one fingerprint and every
 * one of them equals the expected digest (a second, different certificate is refused).
 */
export function fingerprintMatches(answerSdp: string, expected: string): boolean {
  const want = normalizeFingerprint(expected);
  if (want === null) return false;
  const got = answerFingerprints(answerSdp);
  return got.length > 0 && got.every((hex) => hex === want);
}
