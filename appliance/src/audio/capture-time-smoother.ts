/**
 * Steadies per-frame capture times. A 20 ms frame's measured time jitters by how the
 * hardware pointer moves (a USB dongle's completes every few ms) or, for a piped source,
 * by when its bytes happen to arrive; the samples themselves are evenly spaced. So the
 * estimate advances by exactly one frame per frame and is pulled a fraction of the
 * measured error towards each measurement (a first-order loop: the mean error goes to 0,
 * slow clock drift is followed, jitter is divided down). A discontinuity, or an error
 * larger than maxStepMs (samples were lost, the clock jumped), starts over from the
 * measurement. Pure.
 */
export interface SmootherOptions {
  /** Spacing of frames, ms; default 20. */
  readonly frameMs?: number;
  /** Fraction of the error corrected per frame; default 0.05 (a ~400 ms time constant). */
  readonly gain?: number;
  /** An error beyond this re-anchors on the measurement; default 40 ms. */
  readonly maxStepMs?: number;
}

export class CaptureTimeSmoother {
  private last: number | undefined;
  private readonly frameMs: number;
  private readonly gain: number;
  private readonly maxStepMs: number;

  constructor(o: SmootherOptions = {}) {
    this.frameMs = o.frameMs ?? 20;
    this.gain = o.gain ?? 0.05;
    this.maxStepMs = o.maxStepMs ?? 40;
  }

  /** The steadied capture time for a frame measured at `measuredMs`. */
  next(measuredMs: number, discontinuity = false): number {
    if (this.last === undefined || discontinuity) return (this.last = measuredMs);
    const predicted = this.last + this.frameMs;
    const error = measuredMs - predicted;
    this.last = Math.abs(error) > this.maxStepMs ? measuredMs : predicted + this.gain * error;
    return this.last;
  }

  /** Forget the history (the next frame anchors anew). */
  reset(): void {
    this.last = undefined;
  }
}
