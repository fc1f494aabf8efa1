/**
 * The per-link replay window (docs/credential-scheme.md §7), a pure value.
 *
 * The page numbers every request it signs for a link 1, 2, 3 … and never reuses a number.
 * The box accepts a number once: above the highest it has seen, or within the WINDOW
 * numbers below it and not seen yet. That is the sliding window of IPsec and DTLS
 * (RFC 4303 §3.4.3, RFC 6347 §4.1.2.6): requests the page sends at the same time (an
 * event stream, a resume, a DELETE on page hide) may overtake each other; a replay may not.
 * No clock is involved, so a phone whose clock is wrong cannot break it.
 *
 * Only a request whose MAC verified may move the window (link-credential.ts): otherwise a
 * stranger could push it past the page's next number and lock the page out.
 */

/** How far below the highest number a late request is still accepted. */
export const WINDOW = 32;

export interface ReplayWindow {
  /** Highest number accepted so far; 0 before the first. */
  readonly top: number;
  /** Bit i set: number `top - i` was accepted (bit 0 is `top` itself). */
  readonly seen: number;
}

export const freshWindow: ReplayWindow = { top: 0, seen: 0 };

export type Admission = { readonly ok: true; readonly window: ReplayWindow } | { readonly ok: false; readonly window: ReplayWindow };

/** Admits `n` once. `n` is a counter already checked by the header parser (1 … 2^32-1). */
export function admit(w: ReplayWindow, n: number): Admission {
  if (n > w.top) {
    const shift = n - w.top;
    const seen = shift >= WINDOW ? 1 : ((w.seen << shift) | 1) >>> 0;
    return { ok: true, window: { top: n, seen } };
  }
  const age = w.top - n;
  if (age >= WINDOW) return { ok: false, window: w };
  const bit = (1 << age) >>> 0;
  if ((w.seen & bit) !== 0) return { ok: false, window: w };
  return { ok: true, window: { top: w.top, seen: (w.seen | bit) >>> 0 } };
}
