/**
 * MediaWatchdog is the page's one timer on the media path: armed when the answer is
 * applied (media must connect within CONNECT_TIMEOUT_MS) and when ICE reports
 * `disconnected` (it often heals within DISCONNECTED_GRACE_MS), cleared once media is
 * connected. When it fires, the WhepClient treats the media as lost.
 */
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
