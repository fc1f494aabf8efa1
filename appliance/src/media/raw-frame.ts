/**
 * RawFrame is one uncompressed picture on its way from a FrameSource to the encoder.
 *
 * Pixel layout is planar I420 (YUV 4:2:0): the Y plane (width × height bytes), then
 * U, then V (each (width/2) × (height/2) bytes), tightly packed, no row padding.
 * Width and height are even. Sources that capture something else convert first.
 */
export interface RawFrame {
  readonly width: number;
  readonly height: number;
  /** I420 bytes; length is exactly i420Size(width, height). */
  readonly data: Buffer;
  /**
   * Wall-clock capture time in milliseconds since the Unix epoch, with sub-millisecond
   * precision (performance.timeOrigin + performance.now()). It becomes the RTP
   * timestamp (90 kHz) and the abs-capture-time header extension.
   */
  readonly captureTimeMs: number;
  /** Monotonic frame number from the source, starting at 0. */
  readonly seq: number;
}

/** Byte length of an I420 picture of the given size. */
export function i420Size(width: number, height: number): number {
  return width * height + 2 * (width / 2) * (height / 2);
}

/** Wall-clock now with sub-millisecond precision, the clock every RawFrame uses. */
export function captureClockMs(): number {
  return performance.timeOrigin + performance.now();
}
