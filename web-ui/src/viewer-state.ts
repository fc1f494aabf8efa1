/**
 * The viewer's lifecycle as a closed union with a pure transition (STYLE rule 6).
 *
 *   connecting ─media-connected→ live ─media-lost→ reconnecting ─media-connected→ live
 *   (media-connected means a frame was decoded, not that ICE or DTLS is up)
 *   any live-ish state ─session-ended / resume-rejected→ ended
 *   any live-ish state ─session-replaced→ replaced (the box moved the link to another connection)
 *   connecting ─link-rejected→ link-invalid
 *   any live-ish state ─failed→ error ─retry→ connecting
 *
 * `ended`, `replaced` and `link-invalid` are terminal: nothing the network says can revive them.
 */

export const ViewerPhase = {
  connecting: 'connecting',
  live: 'live',
  reconnecting: 'reconnecting',
  ended: 'ended',
  replaced: 'replaced',
  linkInvalid: 'link-invalid',
  error: 'error',
} as const;
export type ViewerPhase = (typeof ViewerPhase)[keyof typeof ViewerPhase];

/** Why the page is in `error`; each has its own advice in messages.ts. */
export const ErrorReason = {
  /** No WebRTC, or no H.264 Constrained Baseline receiver in this browser. */
  unsupported: 'unsupported',
  /** The box answered 400: it could not use this browser's offer. */
  rejected: 'rejected',
  /** No answer from the box after every retry. */
  unreachable: 'unreachable',
  /**
   * The answer is not the box's: its DTLS fingerprint is not the one the QR code carried,
   * or the box's signature over it (docs/credential-scheme.md) does not check.
   */
  fingerprintMismatch: 'fingerprint-mismatch',
  /** Media stopped and the box gave no way to resume. */
  lost: 'lost',
  /**
   * ICE connected but DTLS never completed (the phone reached the box; the secure media
   * connection did not come up): a network that lets STUN through but drops the rest, or a
   * broken DTLS peer. Resuming would stall the same way.
   */
  secureSetupFailed: 'secure-setup-failed',
  /** DTLS up, yet no picture was decoded in time: this browser gets the video but cannot show it. */
  noPicture: 'no-picture',
} as const;
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

export type ViewerEvent =
  /** The first frame of this connection was decoded (the page saw it presented). */
  | { readonly type: 'media-connected' }
  | { readonly type: 'media-lost' }
  | { readonly type: 'link-rejected' }
  | { readonly type: 'resume-rejected' }
  | { readonly type: 'session-ended' }
  | { readonly type: 'session-replaced' }
  | { readonly type: 'failed'; readonly reason: ErrorReason }
  | { readonly type: 'retry' };

export function isTerminal(phase: ViewerPhase): boolean {
  return phase === ViewerPhase.ended || phase === ViewerPhase.replaced || phase === ViewerPhase.linkInvalid;
}

/** transition is pure: the same phase and event always give the same next phase. */
export function transition(phase: ViewerPhase, event: ViewerEvent): ViewerPhase {
  if (isTerminal(phase)) return phase;
  if (event.type === 'session-ended') return ViewerPhase.ended;
  if (event.type === 'session-replaced') return ViewerPhase.replaced;
  if (phase === ViewerPhase.error) return event.type === 'retry' ? ViewerPhase.connecting : phase;
  switch (event.type) {
    case 'media-connected':
      return ViewerPhase.live;
    case 'media-lost':
      return ViewerPhase.reconnecting;
    case 'link-rejected':
      // Only the first POST carries the link token; a 403 then means the link is spent.
      return phase === ViewerPhase.connecting ? ViewerPhase.linkInvalid : phase;
    case 'resume-rejected':
      return ViewerPhase.ended;
    case 'failed':
      return ViewerPhase.error;
    case 'retry':
      return phase;
  }
}
