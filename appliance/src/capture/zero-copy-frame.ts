/**
 * Zero-copy capture frames: a RawFrame that still lives in the capture device's buffer,
 * exported as DMABUF fds (VIDIOC_EXPBUF) so a V4L2 M2M encoder can import it without a copy.
 *
 * Contracts:
 * - A source emits a ZeroCopyFrame with `dmabuf` only after a ZeroCopyTarget accepted the
 *   format (setZeroCopyTarget), i.e. only to the pipeline that negotiated it.
 * - Whoever receives a frame with `dmabuf` calls `dmabuf.release()` exactly once (extra calls
 *   are ignored): that returns the buffer to the capture queue. Until then the capture
 *   device cannot refill it, so hold it no longer than the encoder needs it.
 * - `data` (tightly packed I420, the RawFrame contract) is converted from the mapping on
 *   first access and cached; read it before release() or not at all.
 * - Privacy: `mapped` are writable CPU views of the very memory the fds refer to. PHI masks
 *   are painted there (a MappedFrameFilter) before the fds reach the encoder; the pipeline
 *   never hands an fd to the encoder while a mask filter exists without such a hook.
 */
import type { FrameSource } from './frame-source.js';
import type { RawFrame } from '../media/raw-frame.js';

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

export interface DmabufPlane {
  readonly fd: number;
  readonly bytesused: number;
  readonly length: number;
}

/** The capture buffer behind a frame: fds for an importer, mappings for in-place edits. */
export interface DmabufHandle {
  readonly format: MappedFormat;
  /** One per memory plane (single-planar capture: exactly one). */
  readonly planes: readonly DmabufPlane[];
  /** Writable views of the same memory, one per memory plane, `bytesused` long. Valid until release(). */
  readonly mapped: readonly Buffer[];
  /** Gives the buffer back to the capture queue. Idempotent. */
  release(): void;
}

export type ZeroCopyFrame = RawFrame & { readonly dmabuf?: DmabufHandle };

/**
 * The in-place edit hook for zero-copy frames (PHI masking on the capture mapping): edits
 * `planes` (laid out as `format` says), returns false to withhold the frame. A filter that
 * does not handle `format.fourcc` must return false (fail closed).
 */
export type MappedFrameFilter = (planes: readonly Buffer[], format: MappedFormat, frame: { readonly seq: number; readonly captureTimeMs: number }) => boolean;

/** What a source asks before exporting a frame instead of copying it. Called per frame: keep it cheap. */
export interface ZeroCopyTarget {
  accepts(format: MappedFormat): boolean;
}

/** A FrameSource that can hand out DMABUF frames once told where they go. */
export interface ZeroCopySource extends FrameSource {
  /** undefined turns zero copy off (the default): every frame is copied to I420. */
  setZeroCopyTarget(target: ZeroCopyTarget | undefined): void;
}

export function isZeroCopySource(s: FrameSource): s is ZeroCopySource {
  return typeof (s as Partial<ZeroCopySource>).setZeroCopyTarget === 'function';
}

export function hasDmabuf(f: RawFrame): f is RawFrame & { readonly dmabuf: DmabufHandle } {
  return (f as ZeroCopyFrame).dmabuf !== undefined;
}
