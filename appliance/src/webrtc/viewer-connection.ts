/**
 * The contract between signalling (http/, sessions/) and media (webrtc/, stream/).
 * Signalling knows who may watch; media knows how. Neither imports the other's insides.
 */

export const ViewerState = {
  connecting: 'connecting',
  connected: 'connected',
  closed: 'closed',
} as const;
export type ViewerState = (typeof ViewerState)[keyof typeof ViewerState];

/** ViewerConnection is one remote device receiving the stream over its own peer connection. */
export interface ViewerConnection {
  /** Random, unguessable, used in the WHEP resource URL. Not a secret, never a token. */
  readonly id: string;
  readonly state: ViewerState;
  /** Called once, when the connection closes for any reason (DELETE, ICE failure, session end). */
  onClosed(listener: (reason: string) => void): void;
  /** Closes the peer connection; idempotent. */
  close(reason: string): Promise<void>;
  /**
   * performance.now() of the last authenticated, non-replayed SRTCP packet from the viewer
   * (webrtc/srtcp-liveness.ts), or null before the first: what the resume guard asks
   * (sessions/resume-guard.ts MediaLiveness). Never STUN consent: a sniffer can fake that.
   */
  lastAuthenticatedRtcpAt(): number | null;
}

/**
 * OfferRejected means the offer cannot be answered: malformed SDP, no H.264 the box can
 * send, no video m-section, missing ICE credentials or fingerprint. The message is one
 * line meant for the client ("SDP offer has no video m-section").
 */
export class OfferRejected extends Error {
  override readonly name = 'OfferRejected';
}

/** ViewerFactory answers a WHEP offer with a new ViewerConnection attached to the live stream. */
export interface ViewerFactory {
  /**
   * Validates the offer (throws OfferRejected before any network resource is taken),
   * then creates the peer connection and resolves with the complete answer SDP
   * (non-trickle: ICE gathering finished) and the connection, not yet attached to the
   * stream until `attach()` is called; so a caller can still abandon it.
   */
  answer(offerSdp: string): Promise<PendingViewer>;
}

export interface PendingViewer {
  readonly answerSdp: string;
  readonly connection: ViewerConnection;
  /** Starts media towards this viewer (an IDR is requested at once). */
  attach(): void;
}
