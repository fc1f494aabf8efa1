/**
 * The built viewer page in Debian Chromium, against a stub box on 127.0.0.1 that sends the
 * real CSP and speaks the WHEP contract. The "box" side of the live cases is a second
 * Chromium page sending a canvas over WebRTC, so these run without the appliance.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath, launchChromium } from '../../test/support/chromium.js';
import { StubBox, startSender } from './stub-box.js';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The stub box's one link (43 base64url characters: 32 bytes). */
const TOKEN = Buffer.alloc(32, 0x5a).toString('base64url');
const haveChromium = existsSync(chromiumPath);

/** Opens the viewer as a phone would; collects console errors and CSP violations. */
async function openViewer(context: BrowserContext, box: StubBox, fragment: string): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    // Chromium itself logs the expected 403 of a spent link; everything else is ours.
    if ((m.type() === 'error' || m.type() === 'warning') && !/status of 403/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective}`));
    // What the video showed at the moment the page first said Live.
    new MutationObserver(() => {
      const w = window as unknown as { liveAt?: { videoWidth: number } };
      if (document.body?.dataset.state === 'live' && !w.liveAt) w.liveAt = { videoWidth: (document.getElementById('video') as HTMLVideoElement).videoWidth };
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  });
  await page.goto(`http://127.0.0.1:${box.port}/v${fragment}`);
  return { page, problems };
}

const waitForState = (page: Page, state: string) =>
  page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout: 20_000, polling: 50 });

const suite = haveChromium ? describe : describe.skip;
suite(haveChromium ? 'viewer page in Chromium' : `viewer page — skipped: no Chromium at ${chromiumPath}`, () => {
  let browser: Browser;
  let box: StubBox;
  let context: BrowserContext;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'build.mjs')], { stdio: 'ignore' });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  const fresh = async (locale = 'en-US') => {
    box = new StubBox(TOKEN);
    await box.listen();
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale, isMobile: true, hasTouch: true });
    return async () => {
      await context.close();
      box.close();
    };
  };

  it('spent link: link-invalid with the contract wording, fragment gone, no CSP violation', async () => {
    const done = await fresh();
    try {
      const { page, problems } = await openViewer(context, box, `#${TOKEN}`);
      await waitForState(page, 'link-invalid');
      expect(page.url()).toBe(`http://127.0.0.1:${box.port}/v`);
      expect(await page.getAttribute('sonobox-viewer', 'state')).toBe('link-invalid');
      expect((await page.textContent('#status'))?.replace(/\s+/g, ' ').trim()).toBe(
        'This link has already been used or has expired. Ask the sonographer for a new one.',
      );
      expect(await page.getAttribute('#status', 'aria-live')).toBe('polite');
      // One claim, signed and accepted by the box's own check, without the token in it.
      const posts = box.seen.filter((s) => s.method === 'POST');
      expect(posts.map((s) => [s.accepted, s.authorization?.startsWith('Sonobox-Proof id=')])).toEqual([[true, true]]);
      expect(JSON.stringify(box.seen)).not.toContain(TOKEN);
      expect(problems).toEqual([]);
    } finally {
      await done();
    }
  });

  it('speaks French to a French phone', async () => {
    const done = await fresh('fr-FR');
    try {
      const { page } = await openViewer(context, box, `#t=${TOKEN}`);
      await waitForState(page, 'link-invalid');
      expect(await page.textContent('#status')).toContain('Ce lien a déjà été utilisé ou a expiré.');
      expect(await page.getAttribute('html', 'lang')).toBe('fr');
    } finally {
      await done();
    }
  });

  it('no fragment (e.g. a reload): link-invalid without asking the box', async () => {
    const done = await fresh();
    try {
      const { page } = await openViewer(context, box, '');
      await waitForState(page, 'link-invalid');
      expect(box.seen.filter((s) => s.url.startsWith('/whep'))).toEqual([]);
    } finally {
      await done();
    }
  });

  it('live H.264 Constrained Baseline with the fingerprint checked, then the session ends', async () => {
    const done = await fresh();
    try {
      const sender = await startSender(context, box);
      const { page, problems } = await openViewer(context, box, `#t=${TOKEN}&f=${encodeURIComponent(sender.fingerprint)}`);
      await waitForState(page, 'live');
      // Live is said over a decoded picture, not when ICE connects.
      expect(await page.evaluate(() => (window as unknown as { liveAt?: { videoWidth: number } }).liveAt)).toEqual({ videoWidth: 640 });
      const video = await page.evaluate(() => {
        const v = document.getElementById('video') as HTMLVideoElement;
        return { muted: v.muted, playsInline: v.playsInline, autoplay: v.autoplay };
      });
      expect(video).toEqual({ muted: true, playsInline: true, autoplay: true });
      expect(page.url()).not.toContain('#');
      await page.waitForFunction(() => {
        const v = document.getElementById('video') as HTMLVideoElement;
        return v.videoWidth === 640 && v.currentTime > 0.2 && !v.paused;
      }, null, { timeout: 20_000 });
      const codec = await sender.page.evaluate(async () => {
        const pc = (window as unknown as { senderPc: RTCPeerConnection }).senderPc;
        const stats = [...(await pc.getStats()).values()] as Array<Record<string, string>>;
        const out = stats.find((s) => s.type === 'outbound-rtp');
        const c = stats.find((s) => s.id === out?.codecId);
        return `${c?.mimeType} ${c?.sdpFmtpLine}`;
      });
      expect(codec).toMatch(/^video\/H264 .*packetization-mode=1.*profile-level-id=42e01f/);
      expect(await page.isVisible('#fullscreen')).toBe(true);

      box.endSession();
      await waitForState(page, 'ended');
      expect(await page.textContent('#status')).toContain('The session has ended');
      expect(problems).toEqual([]);
      // Claim, events: each a proof the box accepted; the token never on the wire.
      expect(box.seen.filter((s) => s.url.startsWith('/whep')).map((s) => `${s.method} ${s.url} ${s.accepted}`)).toEqual(['POST /whep true', 'GET /whep/v1/events true']);
      expect(JSON.stringify(box.seen)).not.toContain(TOKEN);
      for (const s of box.seen) expect(s.referer).toBeNull();
    } finally {
      await done();
    }
  });

  it('refuses an answer whose DTLS fingerprint is not the one in the link', async () => {
    const done = await fresh();
    try {
      const sender = await startSender(context, box);
      const wrong = sender.fingerprint.replace(/^[0-9a-f]{2}/i, (b) => (b === '00' ? '11' : '00'));
      expect(wrong).not.toBe(sender.fingerprint);
      const { page } = await openViewer(context, box, `#t=${TOKEN}&f=${encodeURIComponent(wrong)}`);
      await waitForState(page, 'error');
      expect(await page.getAttribute('sonobox-viewer', 'reason')).toBe('fingerprint-mismatch');
      expect(await page.evaluate(() => document.body.dataset.reason)).toBe('fingerprint-mismatch');
      expect(await page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).videoWidth)).toBe(0);
    } finally {
      await done();
    }
  });

  it('leaving the page DELETEs the WHEP resource with a signed proof the box accepts', async () => {
    const done = await fresh();
    try {
      await startSender(context, box);
      const { page } = await openViewer(context, box, `#${TOKEN}`);
      await waitForState(page, 'live');
      await page.close({ runBeforeUnload: true });
      const deadline = Date.now() + 5_000;
      while (!box.seen.some((s) => s.method === 'DELETE') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(box.seen.filter((s) => s.method === 'DELETE')).toEqual([
        { method: 'DELETE', url: '/whep/v1', authorization: expect.stringMatching(/^Sonobox-Proof id=[\w-]{43}, n=3, mac=[\w-]{43}$/), referer: null, accepted: true },
      ]);
    } finally {
      await done();
    }
  });
});
