/**
 * The real viewer page (web-ui/dist) served by buildServer under its CSP, in headless
 * Chromium: no policy violation, the lit element renders, and the page's calls to
 * POST /whep and the event stream are answered by this server (a fake media side).
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, chromiumPath } from '../../../test/support/chromium.js';
import { SessionManager } from '../sessions/session-manager.js';
import { createLogger } from '../system/logger.js';
import { buildServer } from './server.js';
import { FakeViewerFactory } from './test/fake-viewer-factory.js';

const webUiDir = fileURLToPath(new URL('../../../web-ui/dist', import.meta.url));
const missing = !existsSync(`${webUiDir}/index.html`)
  ? `web-ui/dist/index.html not built (run npm run build:ui)`
  : !existsSync(chromiumPath)
    ? `no Chromium at ${chromiumPath}`
    : null;

describe.skipIf(missing !== null)(`viewer page under the CSP${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const sessions = new SessionManager({ policy: { linkTtlMs: 60_000, maxViewers: 1 } });
  const viewers = new FakeViewerFactory();
  const app = buildServer({
    sessions,
    viewers,
    status: () => ({ source: 'fake', encoder: 'fake' }),
    webUiDir,
    linkFor: (t) => `/v#t=${t}`,
    logger: createLogger({ level: 'silent' }),
  });
  let browser: Browser;
  let base = '';

  beforeAll(async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sessions.end('test over');
    sessions.dispose();
    await app.close();
  });

  it('loads with no CSP violation, renders, and reaches POST /whep', async () => {
    const start = sessions.start();
    if (!start.ok) throw new Error(start.message);
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    // Page-side code is passed as strings: this project's tsconfig has no DOM types.
    await page.addInitScript({
      content: "document.addEventListener('securitypolicyviolation', (e) => console.error('Refused to: ' + e.violatedDirective + ' ' + e.blockedURI));",
    });
    const whep = page.waitForResponse((r) => r.url().endsWith('/whep') && r.request().method() === 'POST', { timeout: 20_000 });
    const res = await page.goto(`${base}/v#t=${start.token}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    // The page offers; the fake media side answers (its SDP is not a real answer, so the
    // page will then show an error; what matters here is that the call was allowed).
    expect((await whep).status()).toBe(201);
    const rendered = (await page.evaluate(
      "({ defined: customElements.get('sonobox-viewer') !== undefined, children: document.querySelector('sonobox-viewer')?.childElementCount ?? 0 })",
    )) as { defined: boolean; children: number };
    expect(rendered.defined).toBe(true);
    expect(rendered.children).toBeGreaterThan(0);
    expect(await page.evaluate('document.styleSheets.length')).toBeGreaterThan(0);
    await page.waitForTimeout(300);
    expect(violations).toEqual([]);
    // Control: the detector does see a violation (an inline <style>, which the CSP forbids).
    await page.evaluate("document.head.append(Object.assign(document.createElement('style'), { textContent: 'body{}' }))");
    await page.waitForTimeout(200);
    expect(violations.join('\n')).toMatch(/style-src/);
    await page.close();
  });
});
