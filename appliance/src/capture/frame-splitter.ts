/**
 * FrameSplitter cuts a byte stream of back-to-back raw pictures of a fixed size into
 * whole frames, whatever the chunk boundaries. Pure: the caller passes the arrival time
 * of each chunk, and a frame's time is that of the chunk holding its last byte.
 * Every frame is a fresh Buffer (the stream's chunks are never retained or aliased).
 */
export interface SplitFrame {
  readonly data: Buffer;
  /** Arrival time of the chunk that completed this frame. */
  readonly completedAtMs: number;
}

export class FrameSplitter {
  private current: Buffer | undefined;
  private filled = 0;

  constructor(readonly frameSize: number) {
    if (!(Number.isInteger(frameSize) && frameSize > 0)) throw new RangeError(`frame size must be a positive whole number (got ${frameSize})`);
  }

  /** Bytes of an incomplete frame held so far. */
  get pendingBytes(): number {
    return this.filled;
  }

  push(chunk: Uint8Array, arrivedAtMs: number): SplitFrame[] {
    const out: SplitFrame[] = [];
    let at = 0;
    while (at < chunk.length) {
      this.current ??= Buffer.allocUnsafe(this.frameSize);
      const n = Math.min(this.frameSize - this.filled, chunk.length - at);
      this.current.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
      if (this.filled === this.frameSize) {
        out.push({ data: this.current, completedAtMs: arrivedAtMs });
        this.current = undefined;
        this.filled = 0;
      }
    }
    return out;
  }

  /** Drops a partial frame (at end of stream or on restart); returns how many bytes it had. */
  reset(): number {
    const n = this.filled;
    this.current = undefined;
    this.filled = 0;
    return n;
  }
}
