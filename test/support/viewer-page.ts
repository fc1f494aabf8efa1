import type { Browser, Page } from 'playwright-core';

/** One presented frame as read back from the page: the stamp the box drew, and when Chromium showed it. */
export interface PresentedFrame {
  seq: number;
  /** Generation time written into the frame by the box (epoch ms). */
  timeMs: number;
  /** When Chromium presented it (epoch ms, from requestVideoFrameCallback). */
  presentedMs: number;
}

/** Opens the viewer page at `link` in a fresh browser context (a separate "device"). */
export async function openViewer(browser: Browser, link: string, beforeGoto?: (page: Page) => void): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  // tsx (the bench runs under it) compiles with esbuild's keepNames, which wraps inner
  // functions of page.evaluate callbacks in a __name() helper the page does not have.
  await context.addInitScript('globalThis.__name = (f) => f');
  const page = await context.newPage();
  beforeGoto?.(page);
  await page.goto(link);
  return page;
}

/** Waits until the page reports `state` (document.body.dataset.state). */
export async function waitForState(page: Page, state: string, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: timeoutMs, polling: 50 });
}

export async function pageState(page: Page): Promise<string | undefined> {
  return page.evaluate(() => document.body.dataset.state);
}

/**
 * Reads the box's frame stamps back from `count` rendered frames, using
 * requestVideoFrameCallback + canvas. `readerSource` is the self-contained stamp reader
 * (capture/frame-stamp.ts: stampReaderSource). Frames whose stamp cannot be read are
 * skipped; the call fails if fewer than `count` are read within the timeout.
 */
export async function samplePresentedFrames(page: Page, readerSource: string, count: number, timeoutMs = 20_000): Promise<PresentedFrame[]> {
  return page.evaluate(
    ({ readerSource, count, timeoutMs }) =>
      new Promise<PresentedFrame[]>((resolve, reject) => {
        // <sonobox-viewer> renders into the light DOM (its CSS is an external sheet for the CSP).
        const video = document.querySelector('video');
        if (!video) return reject(new Error('no <video> on the page'));
        const read = new Function(`return (${readerSource})`)() as (d: Uint8ClampedArray, w: number, h: number) => { seq: number; timeMs: number } | null;
        const canvas = document.createElement('canvas');
        const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
        const out: PresentedFrame[] = [];
        const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} frames in ${timeoutMs} ms`)), timeoutMs);
        const onFrame = (_now: number, meta: { presentationTime: number; width: number; height: number }): void => {
          const w = meta.width, h = meta.height;
          if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
          ctx.drawImage(video, 0, 0, w, h);
          const stamp = read(ctx.getImageData(0, 0, w, h).data, w, h);
          if (stamp) out.push({ seq: stamp.seq, timeMs: stamp.timeMs, presentedMs: performance.timeOrigin + meta.presentationTime });
          if (out.length >= count) { clearTimeout(timer); resolve(out); return; }
          video.requestVideoFrameCallback(onFrame as never);
        };
        video.requestVideoFrameCallback(onFrame as never);
      }),
    { readerSource, count, timeoutMs },
  );
}
