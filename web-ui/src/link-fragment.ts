/**
 * The viewer link is `http://<box>:<port>/v#<token>` or `/v#t=<token>&f=<fingerprint>`.
 * The fragment never leaves the phone (RFC 3986 §3.5: it is not sent in requests or in
 * Referer); the page still strips it from the address bar before anything else runs.
 */

/** LinkSecret is what the fragment carries: the one-time token and, optionally, the
 * box's DTLS certificate fingerprint to check the answer against. */
export interface LinkSecret {
  readonly token: string;
  readonly fingerprint: string | null;
}

export type FragmentParse =
  | { readonly ok: true; readonly link: LinkSecret }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' };

/** base64url (RFC 4648 §5) alphabet, optional padding; bounded so junk is refused early. */
const TOKEN = /^[A-Za-z0-9_-]{1,512}={0,2}$/;

/** parseFragment reads `location.hash` (with or without the leading '#'). Pure. */
export function parseFragment(hash: string): FragmentParse {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  if (body === '') return { ok: false, reason: 'missing' };
  if (TOKEN.test(body)) return { ok: true, link: { token: body, fingerprint: null } };

  // `t=`/`f=` pairs. Split by hand: URLSearchParams would turn '+' into a space.
  const pairs = new Map<string, string>();
  for (const part of body.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq);
    let value: string;
    try {
      value = decodeURIComponent(part.slice(eq + 1));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (pairs.has(key)) return { ok: false, reason: 'malformed' };
    pairs.set(key, value);
  }
  const token = pairs.get('t');
  if (token === undefined || !TOKEN.test(token)) return { ok: false, reason: 'malformed' };
  const f = pairs.get('f');
  if (f !== undefined && f.trim() === '') return { ok: false, reason: 'malformed' };
  return { ok: true, link: { token, fingerprint: f ?? null } };
}

/**
 * The link again, for the parent to open it in another browser (the page removed it from
 * the address bar): `<origin><path>#t=<token>[&f=<fingerprint>]`. Pure.
 */
export function linkUrl(base: string, link: LinkSecret): string {
  const f = link.fingerprint === null ? '' : `&f=${encodeURIComponent(link.fingerprint)}`;
  return `${base}#t=${link.token}${f}`;
}
