/**
 * PHI masking end to end (issue 6): a synthetic scanner picture with a bright "patient
 * banner" goes through the real app (mask → x264 → werift) to headless Chromium, which
 * reads every received frame back from a canvas. Inside the masks it must be black, outside
 * it must match the source; at a resolution the preset does not cover only the slate may
 * arrive. Also checks the loopback-only set-up picture, GET /api/mask-preview.png.
 */
import type { Browser, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../appliance/src/app.js';
import { pickHardware } from '../appliance/src/hardware/pick-hardware.js';
import { lumaInk } from '../appliance/src/capture/luma-plane.js';
import { canRender, drawText } from '../appliance/src/font/text.js';
import type { FrameSink, FrameSource } from '../appliance/src/capture/frame-source.js';
import { stampReaderSource, writeStamp } from '../appliance/src/capture/frame-stamp.js';
import { captureClockMs, i420Size } from '../appliance/src/media/raw-frame.js';
import type { Config } from '../appliance/src/config/config.js';
import { loopbackConfig } from './support/loopback-config.js';
import { activePreset, resolveRects, type PixelRect } from '../appliance/src/mask/mask-presets.js';
import { OUTLINE_RGB } from '../appliance/src/mask/mask-preview.js';
import { createLogger } from '../appliance/src/system/logger.js';
import { launchChromium } from './support/chromium.js';
import { openViewer, waitForState } from './support/viewer-page.js';

/** Source frames are numbered from here, so their stamps never collide with the slate's (which count from 0). */
const SOURCE_SEQ_BASE = 1_000_000;
const BACKGROUND_Y = 100;
const REFERENCE_Y = 180;
const BANNER_TEXT = 'JANE DOE  ID 0012345  DOB 01.02.1990';

/** Full-range luma a browser shows for a limited-range Y (BT.601/709 with neutral chroma). */
const shownLuma = (y: number): number => ((y - 16) * 255) / 219;

/** The reference region: unmasked content whose brightness must survive (fractions of the picture). */
function referenceRect(width: number, height: number): PixelRect {
  return { x: Math.round(width * 0.1), y: Math.round(height * 0.5), width: Math.round(width * 0.3), height: Math.round(height * 0.2) };
}

/**
 * A scanner-like source: grey picture, a white patient banner (text and a solid block)
 * exactly where test-banner's rectangles are, a bright reference block elsewhere, and the
 * frame stamp in the top band. Every frame is a fresh Buffer (the mask edits it in place).
 */
class BannerSource implements FrameSource {
  readonly kind = 'test-banner';
  readonly description: string;
  private readonly base: Buffer;
  private timer: NodeJS.Timeout | undefined;
  private seq = SOURCE_SEQ_BASE;

  constructor(private readonly width: number, private readonly height: number, private readonly fps: number) {
    this.description = `synthetic patient banner ${width}x${height}@${fps}`;
    const w = width, h = height;
    const b = Buffer.alloc(i420Size(w, h), 128);
    b.fill(BACKGROUND_Y, 0, w * h);
    const fill = (x0: number, y0: number, x1: number, y1: number, v: number): void => {
      for (let y = Math.round(y0); y < Math.round(y1); y++) b.fill(v, y * w + Math.round(x0), y * w + Math.round(x1));
    };
    // The banner, inside test-banner's first rectangle (x 0.05..0.65, y 0.10..0.20).
    fill(0.06 * w, 0.105 * h, 0.64 * w, 0.195 * h, 60);
    drawText(BANNER_TEXT, Math.round(0.07 * w), Math.round(0.12 * h), { scale: Math.max(1, Math.floor(w / 640)) }, lumaInk(b, w, h, 235));
    fill(0.5 * w, 0.16 * h, 0.63 * w, 0.19 * h, 235);
    // A second detail inside the small odd-sized rectangle (x 0.8003.., y 0.8507..).
    fill(0.805 * w, 0.855 * h, 0.895 * w, 0.895 * h, 235);
    const ref = referenceRect(w, h);
    fill(ref.x, ref.y, ref.x + ref.width, ref.y + ref.height, REFERENCE_Y);
    this.base = b;
  }

  start(sink: FrameSink): void {
    sink.onCondition('live');
    const tick = (): void => {
      const data = Buffer.from(this.base);
      const captureTimeMs = captureClockMs();
      const seq = this.seq++;
      writeStamp(data, this.width, this.height, { seq, timeMs: captureTimeMs });
      sink.onFrame({ width: this.width, height: this.height, data, seq, captureTimeMs });
    };
    tick();
    this.timer = setInterval(tick, 1000 / this.fps);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function testConfig(width: number, height: number): Config {
  return loopbackConfig((c) => {
    c.source = { spec: 'test-pattern', width, height, fps: 15 };
    c.session.maxViewers = 1;
    c.mask.preset = 'test-banner';
  });
}

/** What Chromium saw in one presented frame: the stamp, and luma statistics per region. */
interface FrameReadout {
  seq: number | null;
  /** Per region: max and mean full-range luma (0.299 R + 0.587 G + 0.114 B). */
  regions: { max: number; mean: number }[];
}

/**
 * Reads `count` presented frames back (requestVideoFrameCallback + canvas at the intrinsic
 * size): the stamp and the max/mean luma of each region (pixel rectangles).
 */
async function readFrames(page: Page, regions: PixelRect[], count: number, timeoutMs = 30_000): Promise<FrameReadout[]> {
  return page.evaluate(
    ({ readerSource, regions, count, timeoutMs }) =>
      new Promise<FrameReadout[]>((resolve, reject) => {
        // <sonobox-viewer> renders into the light DOM (its CSS is an external sheet for the CSP).
        const video = document.querySelector('video');
        if (!video) return reject(new Error('no <video> on the page'));
        const read = new Function(`return (${readerSource})`)() as (d: Uint8ClampedArray, w: number, h: number) => { seq: number } | null;
        const canvas = document.createElement('canvas');
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        const out: FrameReadout[] = [];
        const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} frames in ${timeoutMs} ms`)), timeoutMs);
        const onFrame = (_now: number, meta: { width: number; height: number }): void => {
          const w = meta.width, h = meta.height;
          if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
          ctx.drawImage(video, 0, 0, w, h);
          const d = ctx.getImageData(0, 0, w, h).data;
          const stats = regions.map((r) => {
            let max = 0, sum = 0, n = 0;
            for (let y = r.y; y < r.y + r.height; y++) {
              for (let x = r.x; x < r.x + r.width; x++) {
                const o = (y * w + x) * 4;
                const l = 0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!;
                if (l > max) max = l;
                sum += l;
                n++;
              }
            }
            return { max, mean: sum / n };
          });
          out.push({ seq: read(d, w, h)?.seq ?? null, regions: stats });
          if (out.length >= count) { clearTimeout(timer); resolve(out); return; }
          video.requestVideoFrameCallback(onFrame as never);
        };
        video.requestVideoFrameCallback(onFrame as never);
      }),
    { readerSource: stampReaderSource, regions, count, timeoutMs },
  );
}

/** Shrinks a rectangle by `by` pixels on each side (codec ringing lives at sharp edges). */
const inset = (r: PixelRect, by: number): PixelRect => ({ x: r.x + by, y: r.y + by, width: r.width - 2 * by, height: r.height - 2 * by });

async function startApp(width: number, height: number): Promise<{ app: App; link: string }> {
  const links: string[] = [];
  const config = testConfig(width, height);
  const logger = createLogger({ level: 'warn' });
  const hardware = await pickHardware(config, { logger });
  const app = buildApp({
    config,
    logger,
    // The picked source is the test pattern; the banner stands in for a scanner's screen.
    hardware: { ...hardware, source: { device: new BannerSource(width, height, 15), reason: 'a scanner banner stand-in (test)' } },
    onLink: (l) => links.push(l),
  });
  await app.start();
  app.share();
  expect(links).toHaveLength(1);
  return { app, link: links[0]! };
}

describe('PHI masking before encoding, read back in Chromium', () => {
  let browser: Browser;
  const apps: App[] = [];

  beforeAll(async () => {
    expect(canRender(BANNER_TEXT)).toBe(true);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const app of apps) await app.stop();
  });

  describe('1280x720, a resolution test-banner covers', () => {
    const rects = resolveRects(activePreset('test-banner')!, 1280, 720)!;
    let app: App;

    beforeAll(async () => {
      const started = await startApp(1280, 720);
      app = started.app;
      apps.push(app);
      page = await openViewer(browser, started.link);
      await waitForState(page, 'live');
    });
    let page: Page;

    it('every received frame is black inside the masks and unchanged outside', async () => {
      const regions = [...rects.map((r) => inset(r, 4)), inset(referenceRect(1280, 720), 8)];
      const frames = await readFrames(page, regions, 60);
      const fromSource = frames.filter((f) => f.seq !== null && f.seq >= SOURCE_SEQ_BASE);
      expect(fromSource.length).toBeGreaterThanOrEqual(50);
      const worstMask = Math.max(...frames.flatMap((f) => f.regions.slice(0, rects.length).map((r) => r.max)));
      const refMeans = fromSource.map((f) => f.regions[rects.length]!.mean);
      console.log(`masking: ${frames.length} frames read (${fromSource.length} from the source); brightest pixel inside any mask ${worstMask.toFixed(1)}; reference region mean ${Math.min(...refMeans).toFixed(1)}..${Math.max(...refMeans).toFixed(1)} (expected ${shownLuma(REFERENCE_Y).toFixed(1)})`);
      for (const f of frames) {
        for (const r of f.regions.slice(0, rects.length)) expect(r.max).toBeLessThan(30);
      }
      for (const mean of refMeans) expect(Math.abs(mean - shownLuma(REFERENCE_Y))).toBeLessThan(10);
    });

    it('the set-up picture on loopback shows the unmasked banner with the masks outlined', async () => {
      const res = await app.server.inject({ method: 'GET', url: '/api/mask-preview.png', remoteAddress: '127.0.0.1' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('image/png');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-mask-preset']).toBe('test-banner');
      expect(res.headers['x-mask-set']).toBe('1280x720');
      const png = PNG.sync.read(res.rawPayload);
      const rgb = (x: number, y: number): number[] => [...png.data.subarray((y * 1280 + x) * 4, (y * 1280 + x) * 4 + 3)];
      const banner = rects[0]!;
      expect(rgb(banner.x, banner.y + 20)).toEqual([...OUTLINE_RGB]);
      expect(rgb(banner.x + banner.width - 1, banner.y + 20)).toEqual([...OUTLINE_RGB]);
      expect(rgb(Math.round(0.55 * 1280), Math.round(0.17 * 720))).toEqual([255, 255, 255]); // the banner's white block
    });

    it('the set-up picture is refused to any other address, and to web pages', async () => {
      for (const req of [{ remoteAddress: '192.168.1.77' }, { remoteAddress: '10.0.0.9' }, { remoteAddress: '127.0.0.1', headers: { origin: 'http://evil.test' } }]) {
        const res = await app.server.inject({ method: 'GET', url: '/api/mask-preview.png', ...req });
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ error: 'not-from-box' });
        expect(res.headers['content-type']).not.toBe('image/png');
      }
    });
  });

  describe('960x540, a resolution test-banner does not cover: fail closed', () => {
    let page: Page;
    let app: App;

    beforeAll(async () => {
      const started = await startApp(960, 540);
      app = started.app;
      apps.push(app);
      page = await openViewer(browser, started.link);
      await waitForState(page, 'live');
    });

    it('only slate frames arrive: slate stamps, no banner, no source content', async () => {
      // Where the banner and the reference block would be at this size.
      const banner: PixelRect = { x: 58, y: 60, width: 500, height: 40 };
      const regions = [banner, inset(referenceRect(960, 540), 8)];
      const frames = await readFrames(page, regions, 30);
      const stamped = frames.filter((f) => f.seq !== null);
      expect(stamped.length).toBeGreaterThanOrEqual(25);
      for (const f of stamped) expect(f.seq!).toBeLessThan(SOURCE_SEQ_BASE);
      for (const f of frames) {
        expect(f.regions[0]!.max).toBeLessThan(60); // never the white banner
        expect(f.regions[1]!.mean).toBeLessThan(60); // never the reference block
      }
      const status = app.status() as { stream: { framesIn: number } };
      expect(status.stream.framesIn).toBeGreaterThan(0); // the source did produce frames: they were withheld
    });

    it('the set-up picture says frames at this size are withheld', async () => {
      const res = await app.server.inject({ method: 'GET', url: '/api/mask-preview.png', remoteAddress: '127.0.0.1' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-mask-set']).toBe('none (frames at 960x540 are withheld: the slate is sent)');
    });
  });
});
