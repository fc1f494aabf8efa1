import { vd } from './v4l2-binding.js';

/** FourCC codes (videodev2.h v4l2_fourcc): four ASCII bytes, little-endian in a u32. */
export function fourcc(code: string): number {
  if (code.length !== 4) throw new Error(`a FourCC has exactly 4 characters (got "${code}")`);
  return (code.charCodeAt(0) | (code.charCodeAt(1) << 8) | (code.charCodeAt(2) << 16) | (code.charCodeAt(3) << 24)) >>> 0;
}

export function fourccText(value: number): string {
  return String.fromCharCode(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
}

/** The pixel formats capture understands, by their V4L2 FourCC text. */
export const CapturePixFmt = {
  NV12: 'NV12',
  NV21: 'NV21',
  YUYV: 'YUYV',
  UYVY: 'UYVY',
  /** V4L2_PIX_FMT_YUV420: planar I420, what RawFrame wants. */
  YU12: 'YU12',
  MJPG: 'MJPG',
} as const;
export type CapturePixFmt = (typeof CapturePixFmt)[keyof typeof CapturePixFmt];

/** The pixel formats of the M2M codecs' queues, as libv4l2-ts defines them (videodev2.h). */
export const PixFmt = {
  h264: vd.V4L2_PIX_FMT_H264,
  fwht: vd.V4L2_PIX_FMT_FWHT,
  /** 'YU12', I420: Y, then U, then V. */
  yuv420: vd.V4L2_PIX_FMT_YUV420,
  mjpeg: vd.V4L2_PIX_FMT_MJPEG,
  jpeg: vd.V4L2_PIX_FMT_JPEG,
  nv12: vd.V4L2_PIX_FMT_NV12,
  /** 'YM12', I420 in three memory planes (multi-planar only). */
  yuv420m: vd.V4L2_PIX_FMT_YUV420M,
  /** 'NM12' */
  nv12m: vd.V4L2_PIX_FMT_NV12M,
} as const;
