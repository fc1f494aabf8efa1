import { PNG } from 'pngjs';
import { silentLogger } from '../system/logger.js';
import { memoryLogger } from '../system/test/memory-logger.js';
import { describe, expect, it } from 'vitest';
import { i420Size, type RawFrame } from '../media/raw-frame.js';
import { layoutBytes, layoutOfV4l2 } from './apply-mask.js';
import { MaskFilter } from './mask-filter.js';
import { WITHHOLD_ALL } from './mask-presets.js';
import { activePreset } from './mask-presets.js';
import { OUTLINE_RGB, renderMaskPreview } from './mask-preview.js';

/** Mid-grey picture with a white "banner" where test-banner's first rectangle is (at 640x360: x 32..416, y 36..72). */
function bannerFrame(width: number, height: number, seq = 0): RawFrame {
  const data = Buffer.alloc(i420Size(width, height), 128);
  data.fill(120, 0, width * height);
  for (let y = 40; y < 68; y++) data.fill(235, y * width + 40, y * width + 400);
  return { width, height, data, captureTimeMs: 0, seq };
}

describe('MaskFilter', () => {
  const { logger, lines } = memoryLogger();
  const filter = new MaskFilter({ preset: activePreset('test-banner'), logger });

  it('masks a covered resolution in place and lets it through', () => {
    const f = bannerFrame(640, 360);
    expect(filter.filter(f)).toBe(true);
    expect(f.data[50 * 640 + 100]).toBe(16);
    expect(f.data[200 * 640 + 100]).toBe(120);
  });
  it('withholds an uncovered resolution, counts it, and logs once per change', () => {
    const before = lines.length;
    for (let i = 0; i < 3; i++) expect(filter.filter(bannerFrame(320, 240))).toBe(false);
    expect(filter.withheld).toBe(3);
    // One warning: someone must add a set to the preset or change the scanner's output.
    expect(lines.slice(before)).toEqual([{ level: 'warn', c: undefined, msg: expect.stringMatching(/Capture is 320x240 but mask preset "test-banner" has no rectangles for it: sending the slate/) }]);
  });
  it('hands the set-up page an unmasked copy of the next frame, and masks the original', async () => {
    const next = filter.nextFrame(1000);
    const f = bannerFrame(640, 360, 7);
    filter.filter(f);
    const copy = (await next)!;
    expect(copy.seq).toBe(7);
    expect(copy.data[50 * 640 + 100]).toBe(235);
    expect(f.data[50 * 640 + 100]).toBe(16);
  });
  it('answers undefined when no frame comes in time', async () => {
    expect(await filter.nextFrame(20)).toBeUndefined();
  });
  it('preset none: frames pass unmasked, and the log says so loudly', () => {
    const none = memoryLogger();
    const f = bannerFrame(640, 360);
    expect(new MaskFilter({ preset: undefined, logger: none.logger }).filter(f)).toBe(true);
    expect(f.data[50 * 640 + 100]).toBe(235);
    expect(none.lines[0]).toMatchObject({ level: 'warn', msg: expect.stringMatching(/NOT masked.*before clinical use/) });
  });
});

describe('MaskFilter.mappedFilter: the zero-copy (DMABUF mapping) path', () => {
  const filter = new MaskFilter({ preset: activePreset('test-banner'), logger: silentLogger });
  const nv12 = { fourcc: 'NV12', width: 640, height: 360, bytesperline: 704, sizeimage: 704 * 540 };
  const cases: { name: string; format: typeof nv12; planes: () => Buffer[]; ok: boolean }[] = [
    { name: 'NV12 with a padded stride at a covered size: masked in the mapping', format: nv12, planes: () => [Buffer.alloc(704 * 540, 200)], ok: true },
    { name: 'an uncovered size: withheld', format: { ...nv12, width: 320, height: 240, bytesperline: 320 }, planes: () => [Buffer.alloc(320 * 360, 200)], ok: false },
    { name: 'a format it cannot mask (MJPEG): withheld', format: { ...nv12, fourcc: 'MJPG' }, planes: () => [Buffer.alloc(704 * 540, 200)], ok: false },
    { name: 'a mapping shorter than the format says: withheld', format: nv12, planes: () => [Buffer.alloc(704 * 360, 200)], ok: false },
    { name: 'two memory planes (not single-planar): withheld', format: nv12, planes: () => [Buffer.alloc(704 * 360, 200), Buffer.alloc(704 * 180, 200)], ok: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const planes = c.planes();
      expect(filter.mappedFilter(planes, c.format)).toBe(c.ok);
      const p = planes[0]!;
      // Banner rectangle at 640x360: x 32..416, y 36..72; (100, 50) is inside it.
      expect(p[50 * c.format.bytesperline + 100]).toBe(c.ok ? 16 : 200);
      if (c.ok) {
        expect(p[50 * 704 + 500]).toBe(200); // outside the rectangles
        expect(p[704 * 360 + 25 * 704 + 100]).toBe(128); // chroma row 25 of the interleaved UV plane
        expect(p[704 * 360 + 25 * 704 + 2]).toBe(200);
      }
    });
  }
});

describe('the set-up picture from a zero-copy mapping', () => {
  const formats = [
    { fourcc: 'NV12', bytesperline: 704 },
    { fourcc: 'YU12', bytesperline: 640 },
    { fourcc: 'YUYV', bytesperline: 1280 },
    { fourcc: 'UYVY', bytesperline: 1296 },
  ];
  for (const f of formats) {
    it(`${f.fourcc}: an unmasked I420 copy with the same pixels, and the mapping masked`, async () => {
      const filter = new MaskFilter({ preset: activePreset('test-banner'), logger: silentLogger });
      const format = { ...f, width: 640, height: 360 };
      // Paint the mapping through the layout: luma 235 at (100, 50), 120 elsewhere; chroma 90.
      const layout = layoutOfV4l2(format)!;
      const mapping = Buffer.alloc(layoutBytes(layout), 90);
      const lumaAt = (x: number, y: number): number => {
        if (layout.format === 'I420' || layout.format === 'NV12') return layout.y.offset + y * layout.y.stride + x;
        return layout.packed.offset + y * layout.packed.stride + x * 2 + (layout.format === 'YUYV' ? 0 : 1);
      };
      for (let y = 0; y < 360; y++) for (let x = 0; x < 640; x++) mapping[lumaAt(x, y)] = x === 100 && y === 50 ? 235 : 120;
      const next = filter.nextFrame(1000);
      expect(filter.mappedFilter([mapping], format, { seq: 9, captureTimeMs: 1 })).toBe(true);
      const copy = (await next)!;
      expect([copy.width, copy.height, copy.seq, copy.data.length]).toEqual([640, 360, 9, i420Size(640, 360)]);
      expect([copy.data[50 * 640 + 100], copy.data[50 * 640 + 101], copy.data[640 * 360], copy.data[640 * 360 + 320 * 180]]).toEqual([235, 120, 90, 90]);
      expect(mapping[lumaAt(100, 50)]).toBe(16);
    });
  }
});

describe('renderMaskPreview', () => {
  it('is a PNG of the frame with each rectangle outlined in magenta', () => {
    const filter = new MaskFilter({ preset: activePreset('test-banner'), logger: silentLogger });
    const rects = filter.rectsFor(640, 360)!;
    const png = PNG.sync.read(renderMaskPreview(bannerFrame(640, 360), rects));
    expect([png.width, png.height]).toEqual([640, 360]);
    const at = (x: number, y: number): number[] => [...png.data.subarray((y * 640 + x) * 4, (y * 640 + x) * 4 + 3)];
    const r = rects[0]!;
    expect(at(r.x, r.y + 10)).toEqual([...OUTLINE_RGB]); // left edge
    expect(at(r.x + r.width - 1, r.y + 10)).toEqual([...OUTLINE_RGB]); // right edge
    expect(at(r.x + 50, r.y + r.height - 1)).toEqual([...OUTLINE_RGB]); // bottom edge
    expect(at(100, 50)).toEqual([255, 255, 255]); // the banner stays visible inside
    expect(at(100, 200)).toEqual([rgbOf(120), rgbOf(120), rgbOf(120)]); // grey elsewhere
  });
});

/** Limited-range luma with neutral chroma, as RGB (BT.601). */
function rgbOf(y: number): number {
  return Math.round(1.164 * (y - 16));
}

describe('withhold-all (what an unusable configured preset becomes)', () => {
  it('withholds frames of every resolution', () => {
    const filter = new MaskFilter({ preset: activePreset(WITHHOLD_ALL), logger: silentLogger });
    for (const [w, h] of [[1280, 720], [1920, 1080], [640, 480]] as const) {
      const f: RawFrame = { width: w, height: h, seq: 0, captureTimeMs: 0, data: Buffer.alloc(i420Size(w, h), 200) };
      expect(filter.filter(f)).toBe(false);
    }
  });
});
