/**
 * A real browser on the co-parent's side: Debian's Chromium running inside the home
 * namespace (behind the NAT that drops all UDP), trusting the relay's certificate the way
 * a phone trusts a CA (only that key: --ignore-certificate-errors-spki-list), loading the
 * box's page through the relay and gathering ICE candidates against the relay's coturn.
 * It proves the port-443 routing for a browser: the page's TLS (ALPN h2) reaches nginx's
 * HTTPS, Chromium's own TURN-over-TLS client (no ALPN) reaches coturn, and TURN over UDP,
 * which this network blocks, gives nothing (control). The full remote viewing session
 * (video through TURN, DTLS to the box) needs the box side and is not here yet.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../support/chromium.js';
import { addresses, relayHostname } from '../support/topology.js';
import { startBoxRoom1 } from './box-end.js';
import { missingPrerequisites, relayScenario, turnRestCredential, type Scenario } from './relay-under-test.js';

const missing = missingPrerequisites();
if (!(await import('node:fs')).existsSync(chromiumPath)) missing.push(`${chromiumPath} (Debian chromium)`);

interface Gathered {
  candidates: string[];
  errors: string[];
}

describe.skipIf(missing.length > 0)('relay: Chromium at home, through the relay', () => {
  let s: Scenario;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    s = await relayScenario('sb-rl-b', 'relay/browser-turn');
    await startBoxRoom1(s.topo, s.setup, 'sbrl-resource');
    // Chromium itself runs in the home namespace; Playwright drives it over pipes.
    const inHome = join(s.setup.dir, 'chromium-in-home');
    writeFileSync(inHome, `#!/bin/sh\nexec ${s.topo.argv('home', [chromiumPath]).join(' ')} "$@"\n`);
    chmodSync(inHome, 0o755);
    browser = await chromium.launch({
      executablePath: inHome,
      headless: true,
      args: [...chromiumArgs, `--ignore-certificate-errors-spki-list=${s.setup.certs.spkiSha256}`],
      timeout: 60_000,
    });
    page = await browser.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  /**
   * ICE gathering in the page with only this TURN server, relay candidates only: resolves
   * at the first relayed candidate, the first candidate error, gathering complete, or after
   * `waitMs`, whichever comes first.
   */
  function gather(url: string, cred: { username: string; password: string }, waitMs = 15_000): Promise<Gathered> {
    return page.evaluate(async ({ url, cred, waitMs }) => {
      const pc = new RTCPeerConnection({ iceServers: [{ urls: url, username: cred.username, credential: cred.password }], iceTransportPolicy: 'relay' });
      const out: { candidates: string[]; errors: string[] } = { candidates: [], errors: [] };
      await new Promise<void>((resolve) => {
        pc.onicecandidate = (e) => {
          if (e.candidate?.candidate) out.candidates.push(e.candidate.candidate);
          if (/ typ relay /.test(e.candidate?.candidate ?? '')) resolve();
        };
        pc.onicecandidateerror = (e) => {
          out.errors.push(`${e.errorCode} ${e.errorText}`);
          resolve();
        };
        pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') resolve(); };
        setTimeout(resolve, waitMs);
        pc.createDataChannel('probe');
        void pc.createOffer().then((o) => pc.setLocalDescription(o));
      });
      pc.close();
      return out;
    }, { url, cred, waitMs });
  }
  const fresh = () => turnRestCredential(s.setup.secret, Math.floor(Date.now() / 1000) + 600, 'sb-rl-browser');

  it('loads the box\'s page through the relay over HTTPS, trusting only the relay\'s key', async () => {
    const response = await page.goto(`https://${relayHostname}/b/room1/v`, { timeout: 15_000 });
    expect(response?.status()).toBe(200);
    expect(await page.textContent('body')).toContain('stand-in viewer page of box room1');
  });

  it('gets a relayed candidate on the relay from TURN over TLS on port 443', async () => {
    const g = await gather(`turns:${relayHostname}:443?transport=tcp`, fresh());
    const relayed = g.candidates.filter((c) => / typ relay /.test(c));
    expect(relayed.length, JSON.stringify(g)).toBeGreaterThan(0);
    expect(relayed.every((c) => c.includes(` ${addresses.relay} `))).toBe(true);
  });

  it('gets none from TURN over UDP, which this network drops (control case: 5 s, where TLS took well under one)', async () => {
    const g = await gather(`turn:${relayHostname}:3478?transport=udp`, fresh(), 5_000);
    expect(g.candidates.filter((c) => / typ relay /.test(c))).toEqual([]);
  });

  it('gets none with an expired credential', async () => {
    const g = await gather(`turns:${relayHostname}:443?transport=tcp`, turnRestCredential(s.setup.secret, Math.floor(Date.now() / 1000) - 5, 'sb-rl-browser'));
    expect(g.candidates.filter((c) => / typ relay /.test(c))).toEqual([]);
    expect(g.errors.join('\n')).toMatch(/401/);
  });
});

if (missing.length > 0) {
  describe('relay: Chromium at home, through the relay', () => {
    it.skip(`skipped: needs ${missing.join(', ')} (npm run setup installs .ci/apt-packages.d/relay.txt)`, () => {});
  });
}
