/**
 * The heartbeat end to end (issue 12): the real app (test pattern + synthetic heartbeat, or a
 * looped clip with a sound track → Opus helper → RFC 7587 → werift) serving a real headless
 * Chromium through a one-time link, on loopback only. What the parent hears is read from
 * the received audio track with a WebAudio analyser (Chromium gives silence to
 * createMediaElementSource on a WebRTC srcObject, so the analyser taps the track itself,
 * the same samples the unmuted <video> plays).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../appliance/src/app.js';
import type { Config } from '../appliance/src/config/config.js';
import { pickHardware } from '../appliance/src/hardware/pick-hardware.js';
import { createLogger } from '../appliance/src/system/logger.js';
import { launchChromium } from './support/chromium.js';
import { loopbackConfig } from './support/loopback-config.js';
import { openViewer, waitForState } from './support/viewer-page.js';

/** What the analyser heard over a window: the peak sample and the loudest frequency at that moment. */
interface Heard {
  readonly peak: number;
  readonly hz: number;
}

/** Listens to the page's received audio track for `ms` (20 ms steps). */
async function listen(page: Page, ms: number): Promise<Heard> {
  return page.evaluate(async (ms) => {
    const video = document.querySelector('video')!;
    const tracks = (video.srcObject as MediaStream).getAudioTracks();
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 4096;
    ctx.createMediaStreamSource(new MediaStream(tracks)).connect(analyser);
    const wave = new Float32Array(analyser.fftSize);
    const spectrum = new Float32Array(analyser.frequencyBinCount);
    let peak = 0;
    let hz = 0;
    for (const end = performance.now() + ms; performance.now() < end; ) {
      await new Promise((r) => setTimeout(r, 20));
      analyser.getFloatTimeDomainData(wave);
      let p = 0;
      for (const x of wave) p = Math.max(p, Math.abs(x));
      if (p > peak) {
        peak = p;
        analyser.getFloatFrequencyData(spectrum);
        let best = 0;
        for (let i = 1; i < spectrum.length; i++) if (spectrum[i]! > spectrum[best]!) best = i;
        hz = (best * ctx.sampleRate) / analyser.fftSize;
      }
    }
    await ctx.close();
    return { peak, hz };
  }, ms);
}

/** The a=msid stream id of the answer's first `kind` section, and the section itself. */
function section(sdp: string, kind: 'audio' | 'video'): { text: string; stream: string | undefined } {
  const text = sdp.split(/\r\n(?=m=)/).find((s) => s.startsWith(`m=${kind} `)) ?? '';
  return { text, stream: /^a=msid:(\S+) /m.exec(text)?.[1] };
}

const audioOf = (page: Page): Promise<string | undefined> => page.evaluate(() => document.body.dataset.audio);

async function startBox(edit?: (c: Config) => void): Promise<{ app: App; links: string[] }> {
  const config = loopbackConfig(edit);
  const logger = createLogger({ level: 'warn' });
  const links: string[] = [];
  const app = buildApp({ config, logger, hardware: await pickHardware(config, { logger }), onLink: (l) => links.push(l) });
  await app.start();
  return { app, links };
}

describe('the heartbeat in Chromium: test pattern with its synthetic tone burst', () => {
  let app: App;
  let browser: Browser;
  let page: Page;
  let answer = '';

  beforeAll(async () => {
    ({ app } = await startBox());
    browser = await launchChromium();
    const link = app.share()!;
    page = await openViewer(browser, link, (p) => {
      p.on('response', (r) => {
        if (r.url().endsWith('/whep') && r.status() === 201) void r.text().then((t) => (answer = t));
      });
    });
    await waitForState(page, 'live', 30_000);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('the answer sends Opus in the video\'s MediaStream (same msid), and the page received both tracks in one stream', async () => {
    const video = section(answer, 'video');
    const audio = section(answer, 'audio');
    expect(audio.text).toMatch(/^a=rtpmap:\d+ opus\/48000\/2$/m);
    expect(audio.text).toMatch(/^a=sendonly$/m);
    expect(video.stream).toBeDefined();
    expect(audio.stream).toBe(video.stream);
    expect(await page.evaluate(() => (document.querySelector('video')!.srcObject as MediaStream).getTracks().map((t) => t.kind).sort())).toEqual(['audio', 'video']);
  });

  it('starts muted with a large "Tap to hear the heartbeat"; the tap unmutes the video and the heartbeat (1 kHz bursts) is heard', async () => {
    expect(await audioOf(page)).toBe('on');
    expect(await page.evaluate(() => document.querySelector('video')!.muted)).toBe(true);
    await expect(page.locator('#hear').textContent()).resolves.toContain('Tap to hear the heartbeat');
    await page.click('#hear');
    expect(await page.evaluate(() => document.querySelector('video')!.muted)).toBe(false);
    await page.waitForSelector('#mute');
    expect(await page.locator('#hear').count()).toBe(0);
    // Bursts every 500 ms: 1.5 s holds at least two.
    const heard = await listen(page, 1500);
    expect(heard.peak).toBeGreaterThan(0.05);
    expect(Math.abs(heard.hz - 1000)).toBeLessThan(30);
  });

  it('muted at the box (the button\'s two quick presses): the page says so and hears nothing; shared again, it hears the heartbeat', async () => {
    app.cart.press('mute');
    await page.waitForFunction(() => document.body.dataset.audio === 'muted', null, { timeout: 10_000 });
    await expect(page.locator('#audio-note').textContent()).resolves.toBe('The sonographer has turned the sound off');
    expect(app.status()).toMatchObject({ audio: { muted: true, share: 'muted' } });
    // Let the receiver's concealment of the last packets fade, then listen over several bursts.
    await page.waitForTimeout(600);
    const muted = await listen(page, 1500);
    expect(muted.peak).toBeLessThan(0.01);

    app.cart.press('mute');
    await page.waitForFunction(() => document.body.dataset.audio === 'on', null, { timeout: 10_000 });
    await page.waitForSelector('#mute'); // still listening: no second tap needed
    const back = await listen(page, 1500);
    expect(back.peak).toBeGreaterThan(0.05);
  });
});

describe('the heartbeat in Chromium: a looped clip\'s sound track, and a box without sound', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-aw-audio-e2e-'));
  const clip = join(dir, 'tone.mp4');
  let browser: Browser;
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=2', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=2', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip], { timeout: 60_000 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await Promise.all(stops.map((s) => s()));
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the clip\'s 440 Hz track reaches the page after the tap', async () => {
    const { app } = await startBox((c) => {
      c.source.spec = clip;
      c.source.width = 320;
      c.source.height = 240;
    });
    stops.push(() => app.stop());
    const page = await openViewer(browser, app.share()!);
    await waitForState(page, 'live', 30_000);
    await page.waitForFunction(() => document.body.dataset.audio === 'on', null, { timeout: 10_000 });
    await page.click('#hear');
    const heard = await listen(page, 1500);
    expect(heard.peak).toBeGreaterThan(0.05);
    expect(Math.abs(heard.hz - 440)).toBeLessThan(30);
  });

  it('audio.device none: no tap-to-hear control, the page says there is no sound, the picture plays', async () => {
    const { app } = await startBox((c) => {
      c.audio.device = 'none';
    });
    stops.push(() => app.stop());
    const page = await openViewer(browser, app.share()!);
    await waitForState(page, 'live', 30_000);
    expect(await audioOf(page)).toBe('none');
    await expect(page.locator('#audio-note').textContent()).resolves.toBe('No sound with this scan');
    expect(await page.locator('#hear').count()).toBe(0);
  });
});
