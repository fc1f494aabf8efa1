/**
 * Fingerprint pinning end to end, in real headless Chromium on loopback: the link carries
 * the SHA-256 of the session's DTLS certificate (`/v#t=<token>&f=<base64url>`); the page
 * checks every `a=fingerprint` of the WHEP answer against it before setRemoteDescription.
 * A signalling path that swaps the fingerprint (here: Playwright rewriting the 201 body,
 * as a look-alike box or a tampering proxy would) makes the page refuse; no frame shows.
 */
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../appliance/src/app.js';
import { pickHardware } from '../appliance/src/hardware/pick-hardware.js';
import { stampReaderSource } from '../appliance/src/capture/frame-stamp.js';
import type { Config } from '../appliance/src/config/config.js';
import { loopbackConfig } from './support/loopback-config.js';
import { createLogger } from '../appliance/src/system/logger.js';
import { launchChromium } from './support/chromium.js';
import { fingerprintFromLink, LINK_PATTERN, sdpFingerprintOf } from './support/link.js';
import { openViewer, pageState, samplePresentedFrames, waitForState } from './support/viewer-page.js';

const testConfig = (): Config => loopbackConfig();

const sdpFingerprints = (sdp: string): string[] => [...sdp.matchAll(/^a=fingerprint:sha-256 (\S+)\s*$/gm)].map((m) => m[1]!);

/** Routes the page's WHEP POSTs through `edit`, recording every 201 answer as the box sent it. */
async function interceptAnswers(page: Page, edit: (sdp: string) => string): Promise<string[]> {
  const answers: string[] = [];
  await page.route('**/whep**', async (route: Route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch();
    const body = await response.text();
    if (response.status() !== 201) return route.fulfill({ response, body });
    answers.push(body);
    return route.fulfill({ response, body: edit(body) });
  });
  return answers;
}

/** Opens a link with interception installed before the page's first request. */
async function openIntercepted(browser: Browser, link: string, edit: (sdp: string) => string): Promise<{ page: Page; answers: string[] }> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await context.addInitScript('globalThis.__name = (f) => f');
  const page = await context.newPage();
  const answers = await interceptAnswers(page, edit);
  await page.goto(link);
  return { page, answers };
}

async function newLink(base: string): Promise<string> {
  const res = await fetch(new URL('/api/session', base), { method: 'POST' });
  expect(res.status).toBe(201);
  return ((await res.json()) as { link: string }).link;
}

describe('fingerprint pinning: the link pins the session DTLS certificate', () => {
  let app: App;
  let base: string;
  let browser: Browser;
  let firstFingerprint = '';

  beforeAll(async () => {
    const config = testConfig();
    const logger = createLogger({ level: 'warn' });
    app = buildApp({ config, logger, hardware: await pickHardware(config, { logger }) });
    base = await app.start();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it('a normal session plays, and the answer carries exactly the fingerprint the link pins', async () => {
    const link = await newLink(base);
    expect(link).toMatch(LINK_PATTERN);
    firstFingerprint = fingerprintFromLink(link)!;
    const { page, answers } = await openIntercepted(browser, link, (sdp) => sdp);
    await waitForState(page, 'live', 30_000);
    const frames = await samplePresentedFrames(page, stampReaderSource, 10, 20_000);
    expect(frames.at(-1)!.seq).toBeGreaterThan(frames[0]!.seq);
    expect(answers).toHaveLength(1);
    const inAnswer = sdpFingerprints(answers[0]!);
    expect(inAnswer.length).toBeGreaterThan(0);
    for (const fp of inAnswer) expect(fp).toBe(sdpFingerprintOf(firstFingerprint));
    await page.context().close();
  }, 60_000);

  it('an answer whose fingerprint was rewritten on the way is refused before setRemoteDescription; no frame is ever shown', async () => {
    const link = await newLink(base); // same session, second link
    expect(fingerprintFromLink(link)).toBe(firstFingerprint);
    // A different, well-formed certificate digest, as a look-alike box would present.
    const forged = sdpFingerprintOf(Buffer.alloc(32, 0xab).toString('base64url'));
    const { page, answers } = await openIntercepted(browser, link, (sdp) =>
      sdp.replace(/^a=fingerprint:sha-256 \S+/gm, `a=fingerprint:sha-256 ${forged}`),
    );
    await waitForState(page, 'error', 30_000);
    expect(await page.evaluate(() => document.body.dataset.reason)).toBe('fingerprint-mismatch');
    expect(await page.textContent('body')).toMatch(/not from the scan room/);
    expect(answers).toHaveLength(1); // the box did answer; the page refused what arrived
    // Give a connection time to happen if the page had applied the answer anyway.
    await new Promise((r) => setTimeout(r, 3000));
    const shown = await page.evaluate(() => {
      const find = (root: Document | ShadowRoot): HTMLVideoElement | null => {
        const v = root.querySelector('video');
        if (v) return v;
        for (const el of Array.from(root.querySelectorAll('*'))) if (el.shadowRoot) { const inner = find(el.shadowRoot); if (inner) return inner; }
        return null;
      };
      const video = find(document);
      return video ? video.getVideoPlaybackQuality().totalVideoFrames : 0;
    });
    expect(shown).toBe(0);
    expect(await pageState(page)).toBe('error');
    await page.context().close();
  }, 60_000);

  it('a new session has a new certificate: a different fingerprint in its link and its answers', async () => {
    await app.sessions.end('test: next patient');
    app.sessions.clear();
    const link = await newLink(base);
    const second = fingerprintFromLink(link)!;
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(firstFingerprint);
    const { page, answers } = await openIntercepted(browser, link, (sdp) => sdp);
    await waitForState(page, 'live', 30_000);
    for (const fp of sdpFingerprints(answers[0]!)) expect(fp).toBe(sdpFingerprintOf(second));
    await page.context().close();
  }, 60_000);
});
