/**
 * A browser that cannot play the box's H.264 is told so, in its language, with what to do,
 * before anything is sent: the stub box must see no WHEP request, so the link stays unused
 * for the browser the parent opens it in next.
 *   - Firefox ESR without the two offline H.264 preferences: what a Firefox without its
 *     OpenH264 plugin is (some Android builds), VP8/VP9/AV1 only;
 *   - Chromium with RTCRtpReceiver.getCapabilities removed: a missing API counts as no.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser as PlaywrightBrowser } from 'playwright-core';
import type { Browser as PuppeteerBrowser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../../test/support/chromium.js';
import { haveFirefox, launchFirefox } from '../../test/support/firefox.js';
import { StubBox } from './stub-box.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = Buffer.alloc(32, 0x5a).toString('base64url');
const FINGERPRINT = 'ZV2a55QZ-NZF4atrRck4BA6nGL2NX9hBM3l9RUTxsC0';

interface Shown {
  state: string | undefined;
  reason: string | undefined;
  status: string;
  copyButton: string | null;
  linkText: string | null;
}
/** Runs in the page: what the parent sees. */
const shown = (): Shown => ({
  state: document.body.dataset.state,
  reason: document.body.dataset.reason,
  status: (document.getElementById('status')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
  copyButton: document.getElementById('copy-link')?.textContent?.trim() ?? null,
  linkText: (document.getElementById('link-text') as HTMLInputElement | null)?.value ?? null,
});

let box: StubBox;
beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'build.mjs')], { stdio: 'ignore' });
  box = new StubBox(TOKEN);
  await box.listen();
});
afterAll(() => box?.close());

describe.skipIf(!haveFirefox)('Firefox ESR without H.264 (no offline H.264 preferences)', () => {
  let firefox: PuppeteerBrowser;
  beforeAll(async () => {
    firefox = await launchFirefox({ withoutH264: true });
  });
  afterAll(async () => {
    await firefox?.close();
  });

  it('says to open the link in Chrome or Safari, offers to copy it, and never uses it', async () => {
    const before = box.seen.length;
    const page = await firefox.newPage();
    const link = `http://127.0.0.1:${box.port}/v#t=${TOKEN}&f=${FINGERPRINT}`;
    await page.goto(link);
    await page.waitForFunction(() => document.body.dataset.state === 'error', { timeout: 20_000, polling: 50 });
    // The engine really has no H.264 here: the test shows the case it claims to.
    expect(await page.evaluate(() => RTCRtpReceiver.getCapabilities('video')?.codecs.some((c) => /h264/i.test(c.mimeType)))).toBe(false);
    expect(await page.evaluate(shown)).toEqual({
      state: 'error',
      reason: 'unsupported',
      status: 'This browser cannot play the scan video. Open this link in Chrome or Safari. The link has not been used: it still works there. Copy the link',
      copyButton: 'Copy the link',
      linkText: link,
    });
    await page.click('#copy-link');
    // Plain HTTP has no Clipboard API; execCommand('copy') or copying by hand remain.
    await page.waitForFunction(() => document.querySelector('.copy-result') !== null, { timeout: 5_000 });
    expect(await page.evaluate(() => document.querySelector('.copy-result')!.textContent)).toMatch(/^(Link copied\. Paste it into Chrome or Safari\.|Select the link below, copy it, and paste it into Chrome or Safari\.)$/);
    await new Promise((r) => setTimeout(r, 500));
    expect(box.seen.slice(before).filter((s) => s.url.startsWith('/whep'))).toEqual([]);
    await page.close();
  });
});

describe.skipIf(!existsSync(chromiumPath))('Chromium without RTCRtpReceiver.getCapabilities', () => {
  let chromium: PlaywrightBrowser;
  beforeAll(async () => {
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
  });

  it.each([
    ['en-US', 'Ce navigateur', /^This browser cannot play the scan video\. Open this link in Chrome or Safari\./, 'Copy the link'],
    ['fr-FR', 'This browser', /^Ce navigateur ne peut pas lire la vidéo de l’échographie\. Ouvrez ce lien dans Chrome ou Safari\./, 'Copier le lien'],
  ])('%s: the same advice in the phone\'s language, no request to the box', async (locale, notShown, status, button) => {
    const before = box.seen.length;
    const context = await chromium.newContext({ locale });
    await context.addInitScript(() => {
      delete (RTCRtpReceiver as unknown as { getCapabilities?: unknown }).getCapabilities;
    });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${box.port}/v#t=${TOKEN}`);
    await page.waitForFunction(() => document.body.dataset.state === 'error', null, { timeout: 20_000, polling: 50 });
    const s = await page.evaluate(shown);
    expect(s.reason).toBe('unsupported');
    expect(s.status).toMatch(status);
    expect(s.status).not.toContain(notShown);
    expect(s.copyButton).toBe(button);
    expect(s.linkText).toBe(`http://127.0.0.1:${box.port}/v#t=${TOKEN}`);
    expect(box.seen.slice(before).filter((x) => x.url.startsWith('/whep'))).toEqual([]);
    await context.close();
  });
});
