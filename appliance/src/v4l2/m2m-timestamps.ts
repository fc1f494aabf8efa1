/**
 * Matching what comes out of a stateful M2M codec to what went in. The codec interface
 * copies the OUTPUT buffer's timestamp to the CAPTURE buffer that carries its result
 * (V4L2_BUF_FLAG_TIMESTAMP_COPY; dev-encoder.rst, dev-decoder.rst). We stamp each OUTPUT
 * buffer with the frame's capture time in whole microseconds (drivers such as
 * bcm2835-codec carry it as a µs PTS, so nothing finer survives) and look the frame up by
 * it; two frames landing on the same µs are nudged apart by 1 µs. Pure: no I/O.
 */

/** Frames queued to a codec and not yet returned, keyed by their buffer timestamp (µs). */
export class InFlightFrames {
  private readonly byStamp = new Map<bigint, { seq: number; captureTimeMs: number }>();

  get size(): number {
    return this.byStamp.size;
  }

  /** Records a frame and returns the timestamp to put on its OUTPUT buffer. */
  add(meta: { seq: number; captureTimeMs: number }): bigint {
    let stamp = BigInt(Math.max(0, Math.round(meta.captureTimeMs * 1000)));
    while (this.byStamp.has(stamp)) stamp += 1n;
    this.byStamp.set(stamp, { seq: meta.seq, captureTimeMs: meta.captureTimeMs });
    return stamp;
  }

  /** The frame a CAPTURE buffer with this timestamp encodes (and forgets it), if known. */
  take(stamp: bigint): { seq: number; captureTimeMs: number } | undefined {
    const m = this.byStamp.get(stamp);
    if (m) this.byStamp.delete(stamp);
    return m;
  }

  clear(): void {
    this.byStamp.clear();
  }
}
