/**
 * MediaWatchdog is the page's one timer on the media path: armed when the answer is
 * applied (a frame must be decoded within CONNECT_TIMEOUT_MS: ICE or DTLS being up is not
 * enough, the page says Live only over a picture) and when ICE reports `disconnected` (it
 * often heals within DISCONNECTED_GRACE_MS), cleared once a picture shows. When it fires,
 * stallReason() says what went wrong.
 */
import { ErrorReason } from './viewer-state.js';
import type { Timers } from './whep-ports.js';

/** ICE `disconnected` for this long counts as lost (it often heals by itself sooner). */
export const DISCONNECTED_GRACE_MS = 3_000;
/** After the answer, media must connect within this long or we re-offer. */
export const CONNECT_TIMEOUT_MS = 15_000;

export class MediaWatchdog {
  private handle: unknown = null;

  constructor(
    private readonly timers: Timers,
    private readonly onExpired: () => void,
  ) {}

  /** (Re)starts the countdown. */
  arm(ms: number): void {
    this.clear();
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      this.onExpired();
    }, ms);
  }

  clear(): void {
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
  }
}

/**
 * Pure: why media did not arrive in time. Before the first picture, ICE connected with the
 * connection (ICE + DTLS, W3C webrtc-pc §4.3.3) not connected means DTLS stalled; both up
 * means the browser receives but shows nothing. Otherwise (no ICE, or a picture was seen
 * and then stopped) the media is lost, which a resume may cure.
 */
export function stallReason(pictureSeen: boolean, iceConnectionState: string, connectionState: string | undefined): ErrorReason | 'lost' {
  if (pictureSeen || connectionState === undefined) return 'lost';
  const iceUp = iceConnectionState === 'connected' || iceConnectionState === 'completed';
  if (connectionState === 'connected') return ErrorReason.noPicture;
  if (iceUp && (connectionState === 'connecting' || connectionState === 'new')) return ErrorReason.secureSetupFailed;
  return 'lost';
}
