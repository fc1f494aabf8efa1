/**
 * Pure converters from the raw formats capture dongles and vivid deliver to I420 (what
 * RawFrame carries). Layouts per the V4L2 pixel-format docs:
 *   YUYV (V4L2_PIX_FMT_YUYV)  packed 4:2:2, bytes Y0 U Y1 V per two pixels
 *   UYVY (V4L2_PIX_FMT_UYVY)  packed 4:2:2, bytes U Y0 V Y1
 *   NV12 (V4L2_PIX_FMT_NV12)  Y plane, then one plane of interleaved U V at half size
 *   NV21 (V4L2_PIX_FMT_NV21)  as NV12 with V U order
 *   YU12 (V4L2_PIX_FMT_YUV420) I420 itself, maybe with row padding
 * `stride` is bytesperline of the first plane (chroma planes of YU12 use stride/2, NV12's
 * interleaved plane uses stride). 4:2:2 → 4:2:0 averages the two chroma rows.
 * Width and height must be even.
 */
import { i420Size } from '../media/raw-frame.js';

export type RawPixFmt = 'YUYV' | 'UYVY' | 'NV12' | 'NV21' | 'YU12';
export const RAW_PIX_FMTS: readonly RawPixFmt[] = ['NV12', 'YUYV', 'UYVY', 'NV21', 'YU12'];

/** Bytes a frame of this format occupies with the given stride (what bytesused should be at least). */
export function rawFrameBytes(fmt: RawPixFmt, stride: number, height: number): number {
  switch (fmt) {
    case 'YUYV':
    case 'UYVY':
      return stride * height;
    case 'NV12':
    case 'NV21':
      return stride * height + stride * (height / 2);
    case 'YU12':
      return stride * height + 2 * (stride / 2) * (height / 2);
  }
}

/** Converts one frame to tightly packed I420 in `out` (allocated when omitted) and returns it. */
export function toI420(fmt: RawPixFmt, src: Buffer, width: number, height: number, stride: number, out?: Buffer): Buffer {
  const need = rawFrameBytes(fmt, stride, height);
  if (src.length < need) {
    throw new Error(`${fmt} ${width}x${height} stride ${stride} needs ${need} bytes, got ${src.length} (truncated frame)`);
  }
  const dst = out ?? Buffer.allocUnsafe(i420Size(width, height));
  switch (fmt) {
    case 'YUYV':
      packed422(src, width, height, stride, dst, 0, 1, 3);
      break;
    case 'UYVY':
      packed422(src, width, height, stride, dst, 1, 0, 2);
      break;
    case 'NV12':
      semiPlanar(src, width, height, stride, dst, 0);
      break;
    case 'NV21':
      semiPlanar(src, width, height, stride, dst, 1);
      break;
    case 'YU12':
      planar(src, width, height, stride, dst);
      break;
  }
  return dst;
}

/** yOff: offset of Y0 in a 4-byte group; uOff/vOff: offsets of U and V. */
function packed422(src: Buffer, w: number, h: number, stride: number, dst: Buffer, yOff: number, uOff: number, vOff: number): void {
  const cw = w / 2;
  const uBase = w * h;
  const vBase = uBase + cw * (h / 2);
  for (let y = 0; y < h; y++) {
    const row = y * stride;
    const yRow = y * w;
    for (let x = 0; x < cw; x++) {
      const s = row + x * 4;
      dst[yRow + 2 * x] = src[s + yOff]!;
      dst[yRow + 2 * x + 1] = src[s + yOff + 2]!;
    }
    if ((y & 1) === 0) {
      const next = row + stride;
      const c = (y / 2) * cw;
      for (let x = 0; x < cw; x++) {
        const s = row + x * 4;
        const t = next + x * 4;
        dst[uBase + c + x] = (src[s + uOff]! + src[t + uOff]! + 1) >> 1;
        dst[vBase + c + x] = (src[s + vOff]! + src[t + vOff]! + 1) >> 1;
      }
    }
  }
}

/** vFirst 0 for NV12 (U V pairs), 1 for NV21 (V U pairs). */
function semiPlanar(src: Buffer, w: number, h: number, stride: number, dst: Buffer, vFirst: 0 | 1): void {
  for (let y = 0; y < h; y++) src.copy(dst, y * w, y * stride, y * stride + w);
  const cw = w / 2;
  const ch = h / 2;
  const uvBase = stride * h;
  const uBase = w * h;
  const vBase = uBase + cw * ch;
  const uOff = vFirst;
  const vOff = 1 - vFirst;
  for (let y = 0; y < ch; y++) {
    const row = uvBase + y * stride;
    const c = y * cw;
    for (let x = 0; x < cw; x++) {
      dst[uBase + c + x] = src[row + 2 * x + uOff]!;
      dst[vBase + c + x] = src[row + 2 * x + vOff]!;
    }
  }
}

function planar(src: Buffer, w: number, h: number, stride: number, dst: Buffer): void {
  if (stride === w) {
    src.copy(dst, 0, 0, i420Size(w, h));
    return;
  }
  for (let y = 0; y < h; y++) src.copy(dst, y * w, y * stride, y * stride + w);
  const cw = w / 2;
  const cs = stride / 2;
  const ch = h / 2;
  const srcU = stride * h;
  const srcV = srcU + cs * ch;
  const dstU = w * h;
  const dstV = dstU + cw * ch;
  for (let y = 0; y < ch; y++) {
    src.copy(dst, dstU + y * cw, srcU + y * cs, srcU + y * cs + cw);
    src.copy(dst, dstV + y * cw, srcV + y * cs, srcV + y * cs + cw);
  }
}
