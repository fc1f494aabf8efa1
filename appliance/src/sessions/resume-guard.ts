/**
 * When a resume may replace a link's connection (docs/credential-scheme.md §9): only when
 * the box has stopped hearing the phone. A resume is a fresh offer signed with the link's
 * device keys, so only the claiming page can make one; refusing it while the connection is
 * healthy also keeps a page that merely thinks it lost media from cutting itself off.
 *
 * "Heard" must be something only the phone can produce and nobody can replay: an SRTCP
 * packet that passed SRTP authentication with an index above every earlier one (RFC 3711
 * §3.3.2, §3.4). Not STUN consent (RFC 7675): on plain HTTP the ICE password travels in the
 * SDP, so anyone who saw the offer can send valid binding requests and keep a dead
 * connection looking alive, which would refuse the parent's own resume.
 */

/** What the media side exposes per viewer connection. */
export interface MediaLiveness {
  /**
   * Monotonic ms (the session clock's `now()`) of the last authenticated, non-replayed
   * SRTCP packet from the viewer; null before the first.
   */
  lastAuthenticatedRtcpAt(): number | null;
}

/** Browsers send receiver reports about once a second per video stream; 4 s is 3 missed. */
export const HEALTHY_WITHIN_MS = 4_000;

export type ResumeVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/**
 * Whether a resume may replace the connection last heard at `lastHeardAt` (null: never
 * heard, or no connection: allowed). Refused with the time until it would be allowed.
 */
export function resumeVerdict(lastHeardAt: number | null, now: number, healthyWithinMs = HEALTHY_WITHIN_MS): ResumeVerdict {
  if (lastHeardAt === null) return { ok: true };
  const quietFor = now - lastHeardAt;
  return quietFor >= healthyWithinMs ? { ok: true } : { ok: false, retryAfterMs: healthyWithinMs - Math.max(0, quietFor) };
}
