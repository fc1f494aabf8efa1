/**
 * DmabufFrame is a RawFrame that still lives in the capture device's buffer, exported as
 * DMABUF fds (VIDIOC_EXPBUF) so a V4L2 M2M encoder can import it without a copy (its
 * OUTPUT queue in V4L2_MEMORY_DMABUF). The same object goes from the source through the
 * pipeline to the encoder: nobody translates it.
 *
 * Contracts:
 * - A source lends a DmabufFrame only for a format its ZeroCopyTarget accepted
 *   (pipeline/zero-copy-gate.ts decides), i.e. only to the pipeline that negotiated it.
 * - Whoever holds the frame calls release() exactly once when done (extra calls are
 *   ignored): that returns the buffer to the capture queue. Until then the capture device
 *   cannot refill it, so hold it no longer than the encoder needs it. The encoder calls it
 *   once it has dequeued the OUTPUT buffer that imported the fds, or at once if it drops
 *   the frame; the pipeline calls it when the frame is withheld or copied instead.
 * - `data` (tightly packed I420, the RawFrame contract) is converted from the mapping on
 *   first access and cached; read it before release() or not at all.
 * - Privacy: `mapped` are writable CPU views of the very memory the fds refer to. PHI masks
 *   are painted there (the pipeline's MappedFrameFilter) before the fds reach the encoder;
 *   a frame whose mask cannot be painted there never reaches the encoder by fd.
 */
import type { RawFrame } from './raw-frame.js';

/** The layout of a capture buffer as the capture driver applied it (single memory plane). */
export interface MappedFormat {
  /** V4L2 FourCC text: 'YU12', 'NV12', 'YUYV', … */
  readonly fourcc: string;
  readonly width: number;
  readonly height: number;
  /** Bytes per row of the first image plane (chroma strides follow from the format). */
  readonly bytesperline: number;
  readonly sizeimage: number;
}

/** One memory plane of a DMABUF buffer, as VIDIOC_QBUF wants it (struct v4l2_plane). */
export interface DmabufPlane {
  readonly fd: number;
  readonly bytesused: number;
  readonly length: number;
}

export interface DmabufFrame extends RawFrame {
  readonly format: MappedFormat;
  /** One per memory plane (single-planar capture: exactly one). */
  readonly planes: readonly DmabufPlane[];
  /** Writable views of the same memory, one per memory plane, `bytesused` long. Valid until release(). */
  readonly mapped: readonly Buffer[];
  /** Gives the buffer back to the capture queue. Idempotent. */
  release(): void;
}

export function isDmabufFrame(f: RawFrame): f is DmabufFrame {
  return typeof (f as Partial<DmabufFrame>).release === 'function' && Array.isArray((f as Partial<DmabufFrame>).planes);
}

/** What a source asks before lending a frame instead of copying it. Called per frame: keep it cheap. */
export interface ZeroCopyTarget {
  accepts(format: MappedFormat): boolean;
}
