/**
 * The pure policy behind the stream hub: what a reader receives, and when the encoder is
 * asked for a keyframe. No timers, no I/O; time is passed in.
 */

/** Anything queued to a reader: it only needs to say whether it starts with an IDR. */
export interface Keyed {
  readonly keyframe: boolean;
}

export const ReaderPhase = {
  /** New reader: nothing is delivered until an access unit with an IDR. */
  waitingForIdr: 'waiting-for-idr',
  flowing: 'flowing',
  /** The queue overflowed: everything is dropped (and counted) until the next IDR. */
  recovering: 'recovering',
} as const;
export type ReaderPhase = (typeof ReaderPhase)[keyof typeof ReaderPhase];

/** What push() did with a unit; 'overflowed' means the reader just lost frames. */
export type PushResult = 'queued' | 'skipped' | 'discarded' | 'overflowed';

/**
 * ReaderQueue is one reader's bounded queue (MediaMTX style): a slow reader never slows
 * the source; when it falls `capacity` units behind, its queue is emptied and it resumes
 * at the next IDR, so it never decodes a picture whose references it missed.
 */
export class ReaderQueue<T extends Keyed> {
  private items: T[] = [];
  private phaseValue: ReaderPhase = ReaderPhase.waitingForIdr;
  /** Units this reader lost to overflow (queued ones thrown away plus those skipped until the IDR). */
  discardedFrames = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`reader queue capacity must be a whole number ≥ 1 (got ${capacity})`);
    }
  }

  get phase(): ReaderPhase {
    return this.phaseValue;
  }

  get length(): number {
    return this.items.length;
  }

  push(unit: T): PushResult {
    if (this.phaseValue !== ReaderPhase.flowing) {
      if (!unit.keyframe) {
        if (this.phaseValue === ReaderPhase.recovering) {
          this.discardedFrames++;
          return 'discarded';
        }
        return 'skipped';
      }
      this.phaseValue = ReaderPhase.flowing;
    }
    if (this.items.length >= this.capacity) {
      // An IDR arriving at a full queue still overflows: the backlog is stale anyway, and
      // keeping this IDR (dropping only the backlog) lets the reader resume at once.
      this.discardedFrames += this.items.length;
      this.items = [];
      if (!unit.keyframe) {
        this.discardedFrames++;
        this.phaseValue = ReaderPhase.recovering;
        return 'overflowed';
      }
      this.items.push(unit);
      return 'overflowed';
    }
    this.items.push(unit);
    return 'queued';
  }

  shift(): T | undefined {
    return this.items.shift();
  }
}

/**
 * KeyframeRequestLimiter coalesces keyframe requests (new readers, PLI, FIR, overflow)
 * to at most one per `intervalMs`. A request inside the window is not lost: it becomes
 * due when the window ends, unless a keyframe is published first (which answers it).
 */
export class KeyframeRequestLimiter {
  private lastSentMs = Number.NEGATIVE_INFINITY;
  private pending = false;

  constructor(readonly intervalMs = 1000) {}

  /** Returns true when the encoder should be asked now; otherwise the request is deferred. */
  request(nowMs: number): boolean {
    if (nowMs - this.lastSentMs >= this.intervalMs) {
      this.lastSentMs = nowMs;
      this.pending = false;
      return true;
    }
    this.pending = true;
    return false;
  }

  /** A keyframe was published: any deferred request is answered by it. */
  keyframePublished(): void {
    this.pending = false;
  }

  /** When a deferred request becomes due (ms, same clock), or undefined if none is waiting. */
  get dueAtMs(): number | undefined {
    return this.pending ? this.lastSentMs + this.intervalMs : undefined;
  }

  /** Returns true (and records the send) when a deferred request is due at `nowMs`. */
  poll(nowMs: number): boolean {
    const due = this.dueAtMs;
    if (due === undefined || nowMs < due) return false;
    this.lastSentMs = nowMs;
    this.pending = false;
    return true;
  }
}
