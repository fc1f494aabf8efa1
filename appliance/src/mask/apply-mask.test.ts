import { describe, expect, it } from 'vitest';
import { i420Size, type RawFrame } from '../media/raw-frame.js';
import { applyMask, BLACK_Y, i420Layout, layoutOfV4l2, maskPlanes, NEUTRAL_CHROMA, nv12Layout, type YuvLayout } from './apply-mask.js';
import { resolveRects, type MaskPreset, type PixelRect } from './mask-presets.js';

/** A picture where every byte differs from mask black, so any stray or missing fill shows. */
function patterned(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 40 + ((i * 7) % 180);
  return b;
}

/**
 * Every plane of a layout: where it is, its size in samples (w × h), how many pixels one
 * sample spans across (sub) and down (rowSub), and the bytes of one black sample.
 */
interface PlaneSpec { offset: number; stride: number; w: number; h: number; sub: number; rowSub: number; black: number[] }
function planes(layout: YuvLayout): PlaneSpec[] {
  const { width: w, height: h } = layout;
  switch (layout.format) {
    case 'I420':
      return [{ ...layout.y, w, h, sub: 1, rowSub: 1, black: [BLACK_Y] }, { ...layout.u, w: w / 2, h: h / 2, sub: 2, rowSub: 2, black: [NEUTRAL_CHROMA] }, { ...layout.v, w: w / 2, h: h / 2, sub: 2, rowSub: 2, black: [NEUTRAL_CHROMA] }];
    case 'NV12':
      return [{ ...layout.y, w, h, sub: 1, rowSub: 1, black: [BLACK_Y] }, { ...layout.uv, w: w / 2, h: h / 2, sub: 2, rowSub: 2, black: [NEUTRAL_CHROMA, NEUTRAL_CHROMA] }];
    case 'YUYV':
      // One "sample" = one 4-byte macropixel covering two pixels of one row.
      return [{ ...layout.packed, w: w / 2, h, sub: 2, rowSub: 1, black: [BLACK_Y, NEUTRAL_CHROMA, BLACK_Y, NEUTRAL_CHROMA] }];
    case 'UYVY':
      return [{ ...layout.packed, w: w / 2, h, sub: 2, rowSub: 1, black: [NEUTRAL_CHROMA, BLACK_Y, NEUTRAL_CHROMA, BLACK_Y] }];
  }
}

/** Checks masked bytes against the original: black inside, identical everywhere else (padding too). */
function expectMasked(before: Buffer, after: Buffer, layout: YuvLayout, rects: readonly PixelRect[]): { inside: number } {
  const expected = Buffer.from(before);
  let inside = 0;
  for (const p of planes(layout)) {
    for (let row = 0; row < p.h; row++) {
      for (let col = 0; col < p.w; col++) {
        const lx = col * p.sub, ly = row * p.rowSub;
        if (!rects.some((r) => lx >= r.x && lx < r.x + r.width && ly >= r.y && ly < r.y + r.height)) continue;
        p.black.forEach((v, k) => (expected[p.offset + row * p.stride + col * p.black.length + k] = v));
        inside++;
      }
    }
  }
  expect(after.equals(expected)).toBe(true);
  return { inside };
}

const preset: MaskPreset = {
  name: 'table',
  description: 'test',
  sets: [{ width: 64, height: 48, rects: [{ x: 0.25, y: 0.125, width: 0.5, height: 0.25 }, { x: 3 / 64, y: 33 / 48, width: 5 / 64, height: 3 / 48 }, { x: 0.9, y: 0.9, width: 0.1, height: 0.1 }] }],
};
const rectsFor = (w: number, h: number): readonly PixelRect[] | undefined => resolveRects(preset, w, h);

function frame(width: number, height: number): RawFrame {
  return { width, height, data: patterned(i420Size(width, height)), captureTimeMs: 0, seq: 0 };
}

describe('applyMask on I420 RawFrames (real bytes)', () => {
  it('blacks out inside the rectangles and leaves everything outside unchanged', () => {
    const f = frame(64, 48);
    const before = Buffer.from(f.data);
    expect(applyMask(f, rectsFor)).toBe(true);
    const { inside } = expectMasked(before, f.data, i420Layout(64, 48), rectsFor(64, 48)!);
    expect(inside).toBeGreaterThan(0);
  });
  it('rounds an odd rectangle outward to even edges (x 3..8 → 2..8, y 33..36 → 32..36)', () => {
    expect(rectsFor(64, 48)![1]).toEqual({ x: 2, y: 32, width: 6, height: 4 });
    const f = frame(64, 48);
    applyMask(f, rectsFor);
    // The odd pixels the fraction only half-touched are black too, with their chroma.
    expect(f.data[32 * 64 + 2]).toBe(BLACK_Y);
    expect(f.data[35 * 64 + 7]).toBe(BLACK_Y);
    expect(f.data[64 * 48 + 16 * 32 + 1]).toBe(NEUTRAL_CHROMA);
    // …and the ones just outside are not.
    expect(f.data[32 * 64 + 1]).not.toBe(BLACK_Y);
    expect(f.data[36 * 64 + 4]).not.toBe(BLACK_Y);
  });
  it('a rectangle reaching the corner stops at the picture edge', () => {
    expect(rectsFor(64, 48)![2]).toEqual({ x: 56, y: 42, width: 8, height: 6 });
  });
  it('fails closed: a resolution with no set answers false and touches nothing', () => {
    const f = frame(80, 48);
    const before = Buffer.from(f.data);
    expect(applyMask(f, rectsFor)).toBe(false);
    expect(f.data.equals(before)).toBe(true);
  });
  it('masks a 1080p banner quickly (row fills, no per-pixel loop)', () => {
    const big: MaskPreset = { name: 'b', description: 'b', sets: [{ width: 1920, height: 1080, rects: [{ x: 0, y: 0, width: 1, height: 0.12 }, { x: 0.7, y: 0.8, width: 0.3, height: 0.2 }] }] };
    const f = frame(1920, 1080);
    const t0 = performance.now();
    for (let i = 0; i < 30; i++) applyMask(f, (w, h) => resolveRects(big, w, h));
    const perFrameMs = (performance.now() - t0) / 30;
    console.log(`applyMask 1080p, top 12% + one corner: ${perFrameMs.toFixed(3)} ms per frame`);
    expect(perFrameMs).toBeLessThan(5);
  });
});

describe('maskPlanes on buffers with plane offsets and padded strides (the DMABUF path)', () => {
  const rects = rectsFor(64, 48)!;
  const cases: { name: string; layout: YuvLayout; size: number }[] = [
    { name: 'tight I420', layout: i420Layout(64, 48), size: i420Size(64, 48) },
    { name: 'tight NV12', layout: nv12Layout(64, 48), size: 64 * 48 * 3 / 2 },
    // bytesperline 80 (aligned), UV plane after a 16-byte gap, as a driver may hand out.
    { name: 'NV12, stride 80, UV at an aligned offset', layout: { format: 'NV12', width: 64, height: 48, y: { offset: 0, stride: 80 }, uv: { offset: 80 * 48 + 16, stride: 80 } }, size: 80 * 48 + 16 + 80 * 24 },
    { name: 'I420, stride 96/48, planes after a header', layout: { format: 'I420', width: 64, height: 48, y: { offset: 32, stride: 96 }, u: { offset: 32 + 96 * 48, stride: 48 }, v: { offset: 32 + 96 * 48 + 48 * 24, stride: 48 } }, size: 32 + 96 * 48 + 2 * 48 * 24 },
    { name: 'YUYV (packed 4:2:2), stride 160', layout: layoutOfV4l2({ fourcc: 'YUYV', width: 64, height: 48, bytesperline: 160 })!, size: 160 * 48 },
    { name: 'UYVY (packed 4:2:2), tight', layout: layoutOfV4l2({ fourcc: 'UYVY', width: 64, height: 48, bytesperline: 128 })!, size: 128 * 48 },
    { name: 'YU12 from a V4L2 format with bytesperline 96', layout: layoutOfV4l2({ fourcc: 'YU12', width: 64, height: 48, bytesperline: 96 })!, size: 96 * 48 + 2 * 48 * 24 },
  ];
  for (const c of cases) {
    it(`${c.name}: black inside, every other byte (padding too) unchanged`, () => {
      const buf = patterned(c.size);
      const before = Buffer.from(buf);
      maskPlanes(buf, c.layout, rects);
      expectMasked(before, buf, c.layout, rects);
    });
  }
  it('works on a plain Uint8Array view (an mmapped buffer)', () => {
    const ab = new ArrayBuffer(64 * 48 * 3 / 2);
    const view = new Uint8Array(ab);
    view.set(patterned(view.length));
    maskPlanes(view, nv12Layout(64, 48), [{ x: 0, y: 0, width: 2, height: 2 }]);
    expect([view[0], view[1], view[64], view[65], view[2]]).toEqual([16, 16, 16, 16, 40 + ((2 * 7) % 180)]);
    expect([view[64 * 48], view[64 * 48 + 1], view[64 * 48 + 2]]).toEqual([128, 128, 40 + (((64 * 48 + 2) * 7) % 180)]);
  });
  const badRects: { name: string; rect: PixelRect }[] = [
    { name: 'odd x', rect: { x: 1, y: 0, width: 2, height: 2 } },
    { name: 'odd height', rect: { x: 0, y: 0, width: 2, height: 3 } },
    { name: 'past the right edge', rect: { x: 62, y: 0, width: 4, height: 2 } },
  ];
  for (const c of badRects) {
    it(`refuses a rectangle with ${c.name} rather than masking less`, () => {
      expect(() => maskPlanes(patterned(i420Size(64, 48)), i420Layout(64, 48), [c.rect])).toThrow(/must have even edges inside 64x48/);
    });
  }
  it('refuses a buffer shorter than its layout', () => {
    expect(() => maskPlanes(Buffer.alloc(100), nv12Layout(64, 48), rects)).toThrow(/needs 4608 bytes; the buffer has 100/);
  });
});

describe('layoutOfV4l2: which capture formats can be masked in place', () => {
  const cases: { fourcc: string; bytesperline: number; format: string | undefined }[] = [
    { fourcc: 'YU12', bytesperline: 64, format: 'I420' },
    { fourcc: 'YV12', bytesperline: 64, format: 'I420' },
    { fourcc: 'NV12', bytesperline: 64, format: 'NV12' },
    { fourcc: 'NV21', bytesperline: 64, format: 'NV12' },
    { fourcc: 'YUYV', bytesperline: 128, format: 'YUYV' },
    { fourcc: 'UYVY', bytesperline: 128, format: 'UYVY' },
    { fourcc: 'MJPG', bytesperline: 0, format: undefined },
    { fourcc: 'RGB3', bytesperline: 192, format: undefined },
    { fourcc: 'NV12', bytesperline: 32, format: undefined },
    { fourcc: 'YUYV', bytesperline: 130, format: undefined },
  ];
  for (const c of cases) {
    it(`${c.fourcc} bytesperline ${c.bytesperline} → ${c.format ?? 'cannot mask (withhold)'}`, () => {
      expect(layoutOfV4l2({ fourcc: c.fourcc, width: 64, height: 48, bytesperline: c.bytesperline })?.format).toBe(c.format);
    });
  }
});
