/**
 * Silence as a state, from each packet's peak level (opus-pipe reports the largest |sample|
 * of the mono input). A scanner sends digital silence on HDMI whenever no Doppler mode is
 * on; a muted source, an unplugged line or a dead dongle look the same. Sound is reported
 * at once (the first loud packet); silence only after holdMs of quiet, so the gaps between
 * heartbeats or a pause in the Doppler do not flap the state. Pure: time is the packets'.
 */
export interface SilenceOptions {
  /** A peak at or below this counts as silence; default 16 (−66 dBFS: dither, not signal). */
  readonly threshold?: number;
  /** Quiet this long, ms, before 'silent'; default 3000. */
  readonly holdMs?: number;
}

export type Loudness = 'sound' | 'silent';

export class SilenceDetector {
  private state: Loudness | undefined;
  private quietSinceMs: number | undefined;
  private readonly threshold: number;
  private readonly holdMs: number;

  constructor(o: SilenceOptions = {}) {
    this.threshold = o.threshold ?? 16;
    this.holdMs = o.holdMs ?? 3000;
  }

  /** The current state (undefined until the first loud packet or holdMs of quiet). */
  get loudness(): Loudness | undefined {
    return this.state;
  }

  /** Feeds one packet; returns the new state when it changed, else undefined. */
  push(peak: number, timeMs: number): Loudness | undefined {
    if (peak > this.threshold) {
      this.quietSinceMs = undefined;
      return this.set('sound');
    }
    this.quietSinceMs ??= timeMs;
    return timeMs - this.quietSinceMs >= this.holdMs ? this.set('silent') : undefined;
  }

  /** Forget everything (a new run of packets starts). */
  reset(): void {
    this.state = undefined;
    this.quietSinceMs = undefined;
  }

  private set(s: Loudness): Loudness | undefined {
    if (s === this.state) return undefined;
    this.state = s;
    return s;
  }
}
