/**
 * Where the pixels of one raw picture go in an encoder's OUTPUT buffer, and the copy of a
 * RawFrame (tightly packed I420) into it. Pure: no I/O.
 *
 * Drivers pad: bcm2835-codec aligns bytesperline to 32 and the plane height to 16, so a
 * 1920x1080 YU12 buffer holds 1088 luma rows before U starts. For single-buffer formats
 * (YU12, NV12) the padded height is read back from sizeimage = bytesperline × rows × 3/2,
 * bounded to the next multiple of 16 so that slack at the end of a buffer is not taken
 * for rows. Multi-buffer formats (YM12, NM12) carry each plane in its own buffer.
 */
import type { PixFormat } from './m2m-device.js';
import { PixFmt, fourccText } from './v4l2-fourcc.js';

/** One image plane: which memory plane it lives in, at what offset, with what stride and size. */
export interface PlaneSpan {
  readonly memPlane: number;
  readonly offset: number;
  readonly stride: number;
  readonly rows: number;
  /** Bytes of picture per row (≤ stride). */
  readonly rowBytes: number;
}

export interface RawLayout {
  readonly pixelformat: number;
  /** Y, then U and V (I420 family) or the interleaved UV plane (NV12 family). */
  readonly spans: readonly PlaneSpan[];
  /** bytesused to declare for each memory plane. */
  readonly bytesused: readonly number[];
}

/** Raw formats we can fill from I420, in order of preference (no conversion first). */
export const RAW_PREFERENCE: readonly number[] = [PixFmt.yuv420, PixFmt.yuv420m, PixFmt.nv12, PixFmt.nv12m];

/** The first raw format the driver offers that we can fill, or undefined. */
export function pickRawFormat(offered: readonly number[]): number | undefined {
  return RAW_PREFERENCE.find((f) => offered.includes(f));
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The layout of the format the driver set (S_FMT's answer) for a width×height picture. */
export function rawLayout(f: PixFormat): RawLayout {
  const w = f.width;
  const h = f.height;
  const p0 = f.planes[0];
  if (!p0) throw new Error('raw format has no planes');
  const bpl = p0.bytesperline || w;
  switch (f.pixelformat) {
    case PixFmt.yuv420:
    case PixFmt.nv12: {
      const fromSize = Math.floor((p0.sizeimage * 2) / (3 * bpl));
      const rows = Math.max(h, Math.min(fromSize, alignUp(h, 16)));
      const ySize = bpl * rows;
      if (f.pixelformat === PixFmt.nv12) {
        const used = ySize + bpl * (h / 2);
        return { pixelformat: f.pixelformat, bytesused: [used], spans: [
          { memPlane: 0, offset: 0, stride: bpl, rows: h, rowBytes: w },
          { memPlane: 0, offset: ySize, stride: bpl, rows: h / 2, rowBytes: w },
        ] };
      }
      const cStride = bpl / 2;
      const cSize = cStride * (rows / 2);
      return { pixelformat: f.pixelformat, bytesused: [ySize + 2 * cSize], spans: [
        { memPlane: 0, offset: 0, stride: bpl, rows: h, rowBytes: w },
        { memPlane: 0, offset: ySize, stride: cStride, rows: h / 2, rowBytes: w / 2 },
        { memPlane: 0, offset: ySize + cSize, stride: cStride, rows: h / 2, rowBytes: w / 2 },
      ] };
    }
    case PixFmt.yuv420m: {
      const s = (i: number, rowBytes: number, rows: number): PlaneSpan => ({ memPlane: i, offset: 0, stride: f.planes[i]?.bytesperline || rowBytes, rows, rowBytes });
      const spans = [s(0, w, h), s(1, w / 2, h / 2), s(2, w / 2, h / 2)];
      return { pixelformat: f.pixelformat, spans, bytesused: spans.map((x) => x.stride * x.rows) };
    }
    case PixFmt.nv12m: {
      const spans = [
        { memPlane: 0, offset: 0, stride: f.planes[0]?.bytesperline || w, rows: h, rowBytes: w },
        { memPlane: 1, offset: 0, stride: f.planes[1]?.bytesperline || w, rows: h / 2, rowBytes: w },
      ];
      return { pixelformat: f.pixelformat, spans, bytesused: spans.map((x) => x.stride * x.rows) };
    }
    default:
      throw new Error(`raw format ${fourccText(f.pixelformat)} is not one sonobox can fill from I420`);
  }
}

/**
 * Copies a tightly packed I420 picture into the driver's buffers (one per memory plane)
 * following `layout`; interleaves U and V for the NV12 family. Returns bytesused per plane.
 */
export function writeI420(src: Buffer, width: number, height: number, layout: RawLayout, dst: readonly Buffer[]): readonly number[] {
  const ySize = width * height;
  const cSize = (width / 2) * (height / 2);
  const srcPlanes = [
    { at: 0, stride: width },
    { at: ySize, stride: width / 2 },
    { at: ySize + cSize, stride: width / 2 },
  ];
  const [y, c1, c2] = layout.spans;
  if (!y || !c1) throw new Error('layout lacks planes');
  copyPlane(src, srcPlanes[0]!.at, width, y, dst);
  if (c2) {
    copyPlane(src, srcPlanes[1]!.at, width / 2, c1, dst);
    copyPlane(src, srcPlanes[2]!.at, width / 2, c2, dst);
  } else {
    const out = dst[c1.memPlane]!;
    const cw = width / 2;
    for (let r = 0; r < c1.rows; r++) {
      let o = c1.offset + r * c1.stride;
      const u = srcPlanes[1]!.at + r * cw;
      const v = srcPlanes[2]!.at + r * cw;
      for (let x = 0; x < cw; x++) {
        out[o++] = src[u + x]!;
        out[o++] = src[v + x]!;
      }
    }
  }
  return layout.bytesused;
}

/**
 * The inverse of writeI420: reads a decoded picture out of the driver's buffers (one per
 * memory plane, laid out as `layout`) into a tightly packed I420 Buffer, dropping row
 * padding and de-interleaving the NV12 family's UV plane.
 */
export function readI420(src: readonly Buffer[], width: number, height: number, layout: RawLayout): Buffer {
  const ySize = width * height;
  const cw = width / 2;
  const cSize = cw * (height / 2);
  const out = Buffer.allocUnsafe(ySize + 2 * cSize);
  const [y, c1, c2] = layout.spans;
  if (!y || !c1) throw new Error('layout lacks planes');
  const take = (span: PlaneSpan, at: number, rowBytes: number, rows: number): void => {
    const from = src[span.memPlane];
    if (!from) throw new Error(`no buffer for memory plane ${span.memPlane}`);
    for (let r = 0; r < rows; r++) from.copy(out, at + r * rowBytes, span.offset + r * span.stride, span.offset + r * span.stride + rowBytes);
  };
  take(y, 0, width, height);
  if (c2) {
    take(c1, ySize, cw, height / 2);
    take(c2, ySize + cSize, cw, height / 2);
    return out;
  }
  const from = src[c1.memPlane];
  if (!from) throw new Error(`no buffer for memory plane ${c1.memPlane}`);
  for (let r = 0; r < height / 2; r++) {
    let i = c1.offset + r * c1.stride;
    for (let x = 0; x < cw; x++) {
      out[ySize + r * cw + x] = from[i++]!;
      out[ySize + cSize + r * cw + x] = from[i++]!;
    }
  }
  return out;
}

function copyPlane(src: Buffer, at: number, srcStride: number, span: PlaneSpan, dst: readonly Buffer[]): void {
  const out = dst[span.memPlane];
  if (!out) throw new Error(`no buffer for memory plane ${span.memPlane}`);
  if (span.stride === srcStride) {
    src.copy(out, span.offset, at, at + srcStride * span.rows);
    return;
  }
  for (let r = 0; r < span.rows; r++) src.copy(out, span.offset + r * span.stride, at + r * srcStride, at + r * srcStride + span.rowBytes);
}
