/**
 * Copying a picture in any YUV layout the mask handles into tightly packed I420: the mask
 * filter's slow path and the set-up picture share it, so it lives apart from both.
 */
import type { YuvLayout } from './apply-mask.js';

/**
 * A tightly packed I420 copy of a picture in any layout maskPlanes handles (a zero-copy
 * capture mapping), for the set-up picture only: per-pixel, on request, never per frame.
 * 4:2:2 chroma is taken from the even rows.
 */
export function copyToI420(buf: Uint8Array, layout: YuvLayout): Buffer {
  const { width: w, height: h } = layout;
  const out = Buffer.alloc(w * h * 3 / 2);
  const cw = w / 2, uOff = w * h, vOff = uOff + cw * (h / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const chroma = y % 2 === 0 && x % 2 === 0;
      const c = (y / 2) * cw + x / 2;
      switch (layout.format) {
        case 'I420':
          out[y * w + x] = buf[layout.y.offset + y * layout.y.stride + x]!;
          if (chroma) {
            out[uOff + c] = buf[layout.u.offset + (y / 2) * layout.u.stride + x / 2]!;
            out[vOff + c] = buf[layout.v.offset + (y / 2) * layout.v.stride + x / 2]!;
          }
          break;
        case 'NV12':
          out[y * w + x] = buf[layout.y.offset + y * layout.y.stride + x]!;
          if (chroma) {
            out[uOff + c] = buf[layout.uv.offset + (y / 2) * layout.uv.stride + x]!;
            out[vOff + c] = buf[layout.uv.offset + (y / 2) * layout.uv.stride + x + 1]!;
          }
          break;
        default: {
          const row = layout.packed.offset + y * layout.packed.stride;
          const yuyv = layout.format === 'YUYV';
          out[y * w + x] = buf[row + x * 2 + (yuyv ? 0 : 1)]!;
          if (chroma) {
            out[uOff + c] = buf[row + x * 2 + (yuyv ? 1 : 0)]!;
            out[vOff + c] = buf[row + x * 2 + (yuyv ? 3 : 2)]!;
          }
        }
      }
    }
  }
  return out;
}
