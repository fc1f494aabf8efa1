import { spawnSync } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../test/support/chromium.js';
import type { AccessUnit } from '../media/access-unit.js';
import { SoftwareEncoder } from '../encode/software-encoder.js';
import { stampReaderSource } from './frame-stamp.js';
import { prepareTestPattern, renderTestPattern } from './test-pattern.js';

const W = 1280, H = 720, N = 10, T0 = 1_732_000_000_000;

/** N test-pattern frames through our x264 encoder, muxed (stream copy) into MP4 by ffmpeg. */
async function encodeClip(): Promise<Buffer> {
  const aus: AccessUnit[] = [];
  const enc = new SoftwareEncoder({ settings: { width: W, height: H, fps: 30, bitrateBps: 4_000_000, keyframeInterval: 60 } });
  enc.start({ onAccessUnit: (a) => aus.push(a), onState: () => {} });
  const layout = prepareTestPattern(W, H, 30);
  for (let seq = 0; seq < N; seq++) {
    enc.encode({ width: W, height: H, seq, captureTimeMs: T0 + seq * 33.3, data: renderTestPattern(layout, seq, T0 + seq * 33.3) });
    while (aus.length <= seq) await new Promise((r) => setTimeout(r, 2));
  }
  await enc.stop();
  const annexB = Buffer.concat(aus.flatMap((a) => a.nalus.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n])));
  const tmp = `/tmp/sonobox-stamp-${process.pid}.mp4`;
  const mux = spawnSync('sh', ['-c', `ffmpeg -hide_banner -loglevel error -y -f h264 -framerate 30 -i - -c copy -movflags +faststart -f mp4 ${tmp} && cat ${tmp}; rm -f ${tmp}`], { input: annexB, maxBuffer: 1 << 26 });
  if (mux.status !== 0) throw new Error(`ffmpeg mux failed: ${mux.stderr.toString()}`);
  return mux.stdout;
}

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('frame stamp in Chromium', () => {
  it('reads every stamp of an x264 clip from a canvas at the intrinsic size (and at half size), with the shipped reader source', async () => {
    const mp4 = await encodeClip();
    const page = await browser.newPage();
    // Everything is served from memory by playwright; nothing touches the network.
    await page.route('http://sonobox.test/**', (route) => {
      const url = route.request().url();
      if (url.endsWith('/clip.mp4')) return route.fulfill({ status: 200, contentType: 'video/mp4', body: mp4 });
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><video muted playsinline></video>' });
    });
    await page.goto('http://sonobox.test/');
    const stamps = await page.evaluate(async ({ src, n }) => {
      const read = new Function('return ' + src)() as (d: Uint8ClampedArray, w: number, h: number) => { seq: number; timeMs: number } | null;
      const video = document.querySelector('video')!;
      // A blob URL is seekable; the routed response (no Range support) is not.
      video.src = URL.createObjectURL(await (await fetch('/clip.mp4')).blob());
      await new Promise((res, rej) => { video.onloadeddata = res; video.onerror = () => rej(new Error(`video error ${video.error?.code}: ${video.error?.message}`)); });
      const canvas = document.createElement('canvas');
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
      const half = document.createElement('canvas');
      half.width = video.videoWidth / 2;
      half.height = video.videoHeight / 2;
      const hctx = half.getContext('2d', { willReadFrequently: true })!;
      const out: Array<{ seq: number; timeMs: number } | null> = [];
      const scaled: Array<{ seq: number; timeMs: number } | null> = [];
      for (let i = 0; i < n; i++) {
        video.currentTime = (i + 0.5) / 30;
        await new Promise((res) => { video.onseeked = res; });
        ctx.drawImage(video, 0, 0);
        out.push(read(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height));
        hctx.drawImage(video, 0, 0, half.width, half.height);
        scaled.push(read(hctx.getImageData(0, 0, half.width, half.height).data, half.width, half.height));
      }
      return { out, scaled };
    }, { src: stampReaderSource, n: N });
    await page.close();
    const expected = Array.from({ length: N }, (_, seq) => ({ seq, timeMs: Math.floor(T0 + seq * 33.3) }));
    expect(stamps.out).toEqual(expected);
    // Not required, but the layout scales: a half-size canvas reads the same.
    expect(stamps.scaled).toEqual(expected);
  });
});
