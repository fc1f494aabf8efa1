/**
 * The set-up picture: a captured frame as PNG with the mask rectangles outlined, so an
 * engineer can see what each rectangle covers and tune the preset. Pure: frame + pixel
 * rectangles in, PNG bytes out. The picture inside the outlines is deliberately left
 * unmasked (the engineer must see the banner to cover it); it is served only to the box
 * itself (http/box-only-routes.ts) and never written anywhere.
 */
import { PNG } from 'pngjs';
import type { RawFrame } from '../media/raw-frame.js';
import type { MaskFilter } from './mask-filter.js';
import { NO_MASK, type PixelRect } from './mask-presets.js';

/** Outline colour: magenta, which a greyscale ultrasound picture never contains. */
export const OUTLINE_RGB = [255, 0, 255] as const;
/** Outline thickness in pixels, drawn inside each rectangle's edge. */
export const OUTLINE_PX = 2;

/** I420 (limited-range BT.601) to RGBA, the conversion browsers use for SD-range video. */
export function i420ToRgba(frame: RawFrame): Buffer {
  const { width, height, data } = frame;
  const rgba = Buffer.alloc(width * height * 4);
  const uOff = width * height;
  const vOff = uOff + (width / 2) * (height / 2);
  const cw = width / 2;
  const clamp = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = (y >> 1) * cw + (x >> 1);
      const Y = 1.164 * (data[y * width + x]! - 16);
      const U = data[uOff + c]! - 128;
      const V = data[vOff + c]! - 128;
      const o = (y * width + x) * 4;
      rgba[o] = clamp(Math.round(Y + 1.596 * V));
      rgba[o + 1] = clamp(Math.round(Y - 0.392 * U - 0.813 * V));
      rgba[o + 2] = clamp(Math.round(Y + 2.017 * U));
      rgba[o + 3] = 255;
    }
  }
  return rgba;
}

/** Draws each rectangle's outline (OUTLINE_PX thick, inside the edge) into an RGBA picture. */
export function outlineRects(rgba: Buffer, width: number, rects: readonly PixelRect[]): void {
  const px = Buffer.from([...OUTLINE_RGB, 255]);
  const hline = (x0: number, x1: number, y: number): void => {
    for (let x = x0; x < x1; x++) px.copy(rgba, (y * width + x) * 4);
  };
  for (const r of rects) {
    const t = Math.min(OUTLINE_PX, r.width, r.height);
    for (let k = 0; k < t; k++) {
      hline(r.x, r.x + r.width, r.y + k);
      hline(r.x, r.x + r.width, r.y + r.height - 1 - k);
    }
    for (let y = r.y; y < r.y + r.height; y++) {
      hline(r.x, r.x + t, y);
      hline(r.x + r.width - t, r.x + r.width, y);
    }
  }
}

/** PNG of `frame` with `rects` outlined (none when the preset has no set for its size). */
export function renderMaskPreview(frame: RawFrame, rects: readonly PixelRect[] | undefined): Buffer {
  const png = new PNG({ width: frame.width, height: frame.height });
  const rgba = i420ToRgba(frame);
  if (rects) outlineRects(rgba, frame.width, rects);
  rgba.copy(png.data);
  return PNG.sync.write(png, { colorType: 6 });
}

/**
 * The set-up picture of the next captured frame with what describes it: the preset's name
 * and which of its resolution sets applied (or why none did). Undefined when no frame came
 * within `waitMs` (the source is not live).
 */
export async function maskPreviewPicture(mask: MaskFilter, waitMs: number): Promise<{ png: Buffer; preset: string; set: string } | undefined> {
  const frame = await mask.nextFrame(waitMs);
  if (!frame) return undefined;
  const rects = mask.rectsFor(frame.width, frame.height);
  const size = `${frame.width}x${frame.height}`;
  const set = !mask.preset ? 'none (preset none: nothing is masked)' : rects ? size : `none (frames at ${size} are withheld: the slate is sent)`;
  return { png: renderMaskPreview(frame, rects), preset: mask.preset?.name ?? NO_MASK, set };
}
