/**
 * What the box keeps per link to check its viewer, and the one pure transition that checks
 * a request: `accept(credential, presented, request, bearerAllowed) → { ok, credential }`
 * (docs/credential-scheme.md §3, §7, §8). The session lifecycle stores the credential in
 * place of today's token and resume hashes; the routes call `present` and `accept`.
 *
 *   claimable ──claim (proof with key=A; the 201 carries B)──▶ device
 *   claimable ──Bearer T (only where bearerAllowed)──────────▶ bearer
 *
 * Refusals are one answer: whatever failed (unknown link, bad MAC, replayed counter, wrong
 * scheme for this link, Bearer not allowed here), `accept` says only { ok: false }, after
 * the same work, and leaves the credential unchanged.
 */
import { timingSafeEqual, type KeyObject } from 'node:crypto';
import { deriveLinkSecrets, deviceExchange, wipe, type DeviceExchange, type KeyPair, type LinkSecrets } from './link-keys.js';
import { admit, freshWindow, type ReplayWindow } from './replay-window.js';
import { proofMatches, type SignedRequest } from './request-proof.js';
import { parseProof, type Proof } from './wire-format.js';

export type LinkCredential =
  /** Unused link: claim keys from the token, and the window (a failed claim uses up its counter too). */
  | { readonly kind: 'claimable'; readonly linkId: string; readonly keys: KeyPair; readonly window: ReplayWindow }
  /** Claimed by a viewer page: keys only that page and the box know. */
  | { readonly kind: 'device'; readonly linkId: string; readonly keys: KeyPair; readonly window: ReplayWindow }
  /** Claimed by a standard WHEP player with `Bearer T`: T stays its credential (no window). */
  | { readonly kind: 'bearer'; readonly linkId: string; readonly keys: KeyPair };

/** A freshly minted link's credential. */
export function claimable(secrets: LinkSecrets): LinkCredential {
  return { kind: 'claimable', linkId: secrets.linkId, keys: secrets.claim, window: freshWindow };
}

/** The Authorization header, read once per request. */
export type Presented =
  | { readonly scheme: 'proof'; readonly proof: Proof }
  /** `derived` is null for a malformed token; it is derived anyway so refusals cost the same. */
  | { readonly scheme: 'bearer'; readonly derived: LinkSecrets | null }
  | { readonly scheme: 'none' };

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;
const NOT_A_TOKEN = 'A'.repeat(43);

/** Reads an Authorization header (RFC 9110 §11.6.2). Costs two HMACs and two HKDFs for a Bearer. */
export function present(authorization: string | undefined): Presented {
  const proof = parseProof(authorization);
  if (proof !== null) return { scheme: 'proof', proof };
  const bearer = authorization === undefined ? null : BEARER.exec(authorization);
  if (bearer === null) return { scheme: 'none' };
  const derived = deriveLinkSecrets(bearer[1]!);
  if (derived === null) deriveLinkSecrets(NOT_A_TOKEN);
  return { scheme: 'bearer', derived };
}

/** The link id a request names, to look its credential up by (ids are public). */
export function presentedLinkId(p: Presented): string | null {
  if (p.scheme === 'proof') return p.proof.id;
  if (p.scheme === 'bearer') return p.derived?.linkId ?? null;
  return null;
}

export type Acceptance =
  | {
      readonly ok: true;
      /** claim: a page claims the link (complete with `claim`); device: a claimed page's later request; bearer: a WHEP player. */
      readonly as: 'claim' | 'device' | 'bearer';
      /** The credential with the window moved on: store it before anything else happens. */
      readonly credential: LinkCredential;
      /** The request's counter (sign the response with it); null for Bearer. */
      readonly n: number | null;
    }
  | { readonly ok: false };

const REFUSED: Acceptance = { ok: false };
const NO_KEY = Buffer.alloc(32);

/**
 * Checks one request against a link's credential (undefined: no such live link). Pure but
 * for the constant-cost MAC. `bearerAllowed` comes from bearerAllowedOn(policy, listener).
 */
export function accept(credential: LinkCredential | undefined, presented: Presented, req: SignedRequest, bearerAllowed: boolean): Acceptance {
  if (presented.scheme === 'proof') {
    const { proof } = presented;
    const windowed = credential !== undefined && credential.kind !== 'bearer' ? credential : undefined;
    const macOk = proofMatches(windowed?.keys.request ?? null, proof, req);
    if (!macOk || windowed === undefined) return REFUSED;
    // A claim carries the page's public key; nothing else may.
    if ((windowed.kind === 'claimable') !== (proof.key !== null)) return REFUSED;
    const admitted = admit(windowed.window, proof.n);
    if (!admitted.ok) return REFUSED;
    return { ok: true, as: windowed.kind === 'claimable' ? 'claim' : 'device', credential: { ...windowed, window: admitted.window }, n: proof.n };
  }
  if (presented.scheme === 'bearer') {
    const stored = credential?.kind === 'device' ? undefined : credential;
    const given = presented.derived?.claim.request ?? NO_KEY;
    const same = timingSafeEqual(stored?.keys.request ?? NO_KEY, given);
    if (!same || stored === undefined || presented.derived === null || !bearerAllowed) return REFUSED;
    return { ok: true, as: 'bearer', credential: stored, n: null };
  }
  return REFUSED;
}

/**
 * The claim's last step, once the offer was answered and the link bound: the box's half of
 * the exchange. Returns the device credential (store it) and the exchange (B for the 201
 * and the key to sign it), or null when the page's key is unusable (answer the table's 403).
 * The claim keys are wiped: from here on T opens nothing. `boxPrivateKey` is for test
 * vectors only; the box draws a fresh one per claim.
 */
export function claim(credential: LinkCredential, pageKey: string, boxPrivateKey?: KeyObject): { readonly credential: LinkCredential; readonly exchange: DeviceExchange } | null {
  if (credential.kind !== 'claimable') return null;
  const exchange = deviceExchange(credential.keys, pageKey, boxPrivateKey);
  if (exchange === null) return null;
  wipe(credential.keys);
  return { credential: { kind: 'device', linkId: credential.linkId, keys: exchange.device, window: credential.window }, exchange };
}

/** A Bearer claim: the link keeps its claim keys, since T stays the player's credential. */
export function claimByBearer(credential: LinkCredential): LinkCredential | null {
  return credential.kind === 'claimable' ? { kind: 'bearer', linkId: credential.linkId, keys: credential.keys } : null;
}

/** Where Bearer tokens are accepted (config row `session.whepBearer`, spec §8). */
export const BearerPolicy = { never: 'never', tls: 'tls', always: 'always' } as const;
export type BearerPolicy = (typeof BearerPolicy)[keyof typeof BearerPolicy];

/** The listener a request arrived on: plain HTTP, the box's own HTTPS, or the relay's tunnel. */
export type Listener = 'http' | 'https' | 'tunnel';

/**
 * Bearer sends T itself, so it is safe only where nobody but the box can read the request:
 * TLS that ends on the box. Never through the relay's tunnel (the relay ends TLS and would
 * read T), whatever the setting.
 */
export function bearerAllowedOn(policy: BearerPolicy, listener: Listener): boolean {
  if (listener === 'tunnel' || policy === BearerPolicy.never) return false;
  return listener === 'https' || policy === BearerPolicy.always;
}
