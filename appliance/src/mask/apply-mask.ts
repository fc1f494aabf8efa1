/**
 * Blanking PHI rectangles in a raw picture, in place, before it reaches any encoder. Pure.
 *
 * "Black" is limited-range BT.601/709 black: Y = 16, U = V = 128 (ITU-R BT.601 §2.5.3).
 * Rectangles arrive already resolved to even pixel edges (mask-presets.ts resolveRects),
 * so chroma rows/columns are exactly half of the luma ones. Each rectangle is one
 * Buffer.fill per row per plane: at 720p a full-width banner costs ~100 fills, no
 * per-pixel JavaScript.
 *
 * Where this runs:
 *  - Software encoder and the V4L2 M2M encoder as wired today: the capture hands the
 *    pipeline RawFrame copies (I420) and the pipeline's filter (mask-filter.ts) calls
 *    applyMask on each one before encode(), so both encoders only ever see masked bytes.
 *  - Zero-copy DMABUF into the M2M encoder: the capture buffer goes to the encoder's
 *    OUTPUT queue without a copy, so nothing passes through applyMask. That path MUST mmap
 *    the dmabuf (with DMA_BUF_IOCTL_SYNC start/end around the write), call maskPlanes with
 *    the negotiated layout (layoutOfV4l2: fourcc, bytesperline) — MaskFilter.mappedFilter
 *    does exactly this — and only then VIDIOC_QBUF it to the encoder; if the resolution
 *    matches no set or the format is one maskPlanes cannot handle, it must not queue the
 *    buffer at all (queue the slate instead).
 */
import type { RawFrame } from '../media/raw-frame.js';
import type { PixelRect } from './mask-presets.js';

export const BLACK_Y = 16;
export const NEUTRAL_CHROMA = 128;

/** One plane inside a buffer: where it starts and the bytes per row (>= its width). */
export interface PlaneLayout {
  readonly offset: number;
  readonly stride: number;
}

/**
 * Where the planes of a 4:2:0 picture sit in one buffer. I420 (YU12): Y, U, V planes;
 * NV12: Y plane then one interleaved UV plane (U0 V0 U1 V1 …, 2 bytes per chroma sample).
 * Multi-planar V4L2 buffers map each plane separately: pass each mapping's offset within
 * one Buffer view, or call maskPlanes once per mapping with a layout relative to it.
 */
export type YuvLayout =
  | { readonly format: 'I420'; readonly width: number; readonly height: number; readonly y: PlaneLayout; readonly u: PlaneLayout; readonly v: PlaneLayout }
  | { readonly format: 'NV12'; readonly width: number; readonly height: number; readonly y: PlaneLayout; readonly uv: PlaneLayout }
  /** Packed 4:2:2, 2 bytes per pixel: YUYV = Y0 U Y1 V, UYVY = U Y0 V Y1 (USB dongles' usual raw format). */
  | { readonly format: 'YUYV' | 'UYVY'; readonly width: number; readonly height: number; readonly packed: PlaneLayout };

/** The tightly packed I420 layout of a RawFrame (media/raw-frame.ts). */
export function i420Layout(width: number, height: number): YuvLayout {
  const ySize = width * height;
  const cSize = (width / 2) * (height / 2);
  return { format: 'I420', width, height, y: { offset: 0, stride: width }, u: { offset: ySize, stride: width / 2 }, v: { offset: ySize + cSize, stride: width / 2 } };
}

/** The tightly packed NV12 layout (bytesperline = width), as a single-planar V4L2 buffer. */
export function nv12Layout(width: number, height: number): YuvLayout {
  return { format: 'NV12', width, height, y: { offset: 0, stride: width }, uv: { offset: width * height, stride: width } };
}

/**
 * The layout of a single-planar V4L2 capture buffer (videodev2.h: V4L2_PIX_FMT_YUV420 'YU12',
 * YVU420 'YV12', NV12, NV21, YUYV, UYVY) from its format and bytesperline, or undefined for a
 * format this module cannot mask (the caller must then withhold the frame). YV12 and NV21
 * only swap U and V, which masking sets to the same value, so they share I420/NV12 layouts.
 */
export function layoutOfV4l2(f: { readonly fourcc: string; readonly width: number; readonly height: number; readonly bytesperline: number }): YuvLayout | undefined {
  const { width, height, bytesperline: bpl } = f;
  if (width % 2 || height % 2) return undefined;
  switch (f.fourcc) {
    case 'YU12': case 'YV12': {
      if (bpl < width || bpl % 2) return undefined;
      const c = bpl / 2;
      return { format: 'I420', width, height, y: { offset: 0, stride: bpl }, u: { offset: bpl * height, stride: c }, v: { offset: bpl * height + c * (height / 2), stride: c } };
    }
    case 'NV12': case 'NV21':
      if (bpl < width) return undefined;
      return { format: 'NV12', width, height, y: { offset: 0, stride: bpl }, uv: { offset: bpl * height, stride: bpl } };
    case 'YUYV': case 'UYVY':
      if (bpl < width * 2 || bpl % 4) return undefined;
      return { format: f.fourcc, width, height, packed: { offset: 0, stride: bpl } };
    default:
      return undefined;
  }
}

/** Bytes a buffer must hold for `layout` (the end of its last plane's last row of pixels). */
export function layoutBytes(layout: YuvLayout): number {
  const { width: w, height: h } = layout;
  switch (layout.format) {
    case 'I420': return Math.max(layout.y.offset + layout.y.stride * (h - 1) + w, layout.u.offset + layout.u.stride * (h / 2 - 1) + w / 2, layout.v.offset + layout.v.stride * (h / 2 - 1) + w / 2);
    case 'NV12': return Math.max(layout.y.offset + layout.y.stride * (h - 1) + w, layout.uv.offset + layout.uv.stride * (h / 2 - 1) + w);
    default: return layout.packed.offset + layout.packed.stride * (h - 1) + 2 * w;
  }
}

const BLACK_YUYV = Buffer.from([BLACK_Y, NEUTRAL_CHROMA, BLACK_Y, NEUTRAL_CHROMA]);
const BLACK_UYVY = Buffer.from([NEUTRAL_CHROMA, BLACK_Y, NEUTRAL_CHROMA, BLACK_Y]);

/**
 * Blanks `rects` in a YUV picture held in `buf` at `layout`, in place. Rectangles must
 * have even edges and lie inside the picture (resolveRects guarantees both); a rectangle
 * that does not is a programming error and throws rather than masking less.
 */
export function maskPlanes(buf: Uint8Array, layout: YuvLayout, rects: readonly PixelRect[]): void {
  const { width, height } = layout;
  if (layoutBytes(layout) > buf.length) throw new RangeError(`a ${layout.format} ${width}x${height} picture at this layout needs ${layoutBytes(layout)} bytes; the buffer has ${buf.length}`);
  for (const r of rects) {
    const x1 = r.x + r.width, y1 = r.y + r.height;
    if (r.x % 2 || r.y % 2 || r.width % 2 || r.height % 2 || r.x < 0 || r.y < 0 || x1 > width || y1 > height) {
      throw new RangeError(`mask rectangle ${r.width}x${r.height}+${r.x}+${r.y} must have even edges inside ${width}x${height}`);
    }
    const cx0 = r.x / 2, cx1 = x1 / 2, cy0 = r.y / 2, cy1 = y1 / 2;
    switch (layout.format) {
      case 'I420':
        fillRows(buf, layout.y, r.x, x1, r.y, y1, BLACK_Y);
        fillRows(buf, layout.u, cx0, cx1, cy0, cy1, NEUTRAL_CHROMA);
        fillRows(buf, layout.v, cx0, cx1, cy0, cy1, NEUTRAL_CHROMA);
        break;
      case 'NV12':
        fillRows(buf, layout.y, r.x, x1, r.y, y1, BLACK_Y);
        // U and V are both 128, so the interleaved pairs are one run of bytes per row.
        fillRows(buf, layout.uv, cx0 * 2, cx1 * 2, cy0, cy1, NEUTRAL_CHROMA);
        break;
      case 'YUYV':
      case 'UYVY':
        // x is even, so each run starts on a 4-byte macropixel and the pattern stays in
        // phase (strides are multiples of 4: layoutOfV4l2 checks).
        fillRows(buf, layout.packed, r.x * 2, x1 * 2, r.y, y1, layout.format === 'YUYV' ? BLACK_YUYV : BLACK_UYVY);
        break;
    }
  }
}

function fillRows(buf: Uint8Array, plane: PlaneLayout, x0: number, x1: number, y0: number, y1: number, value: number | Buffer): void {
  for (let row = y0; row < y1; row++) {
    const start = plane.offset + row * plane.stride;
    if (typeof value === 'number') buf.fill(value, start + x0, start + x1);
    else Buffer.from(buf.buffer, buf.byteOffset + start + x0, x1 - x0).fill(value);
  }
}

/**
 * Masks one RawFrame in place with the rectangles for its resolution. `rectsFor` returns
 * undefined when the active preset has no set for that size: then nothing is touched and
 * the answer is false — the caller must withhold the frame (fail closed).
 */
export function applyMask(frame: RawFrame, rectsFor: (width: number, height: number) => readonly PixelRect[] | undefined): boolean {
  const rects = rectsFor(frame.width, frame.height);
  if (!rects) return false;
  maskPlanes(frame.data, i420Layout(frame.width, frame.height), rects);
  return true;
}
