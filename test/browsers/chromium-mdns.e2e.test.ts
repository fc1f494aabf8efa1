/**
 * Chromium as a parent's phone runs it: default ICE (mDNS host candidates, gathered on the
 * default route's interface; none of the loopback tests' flags) in its own network
 * namespace, the box's own command line in the other with no --ice-host, over the veth.
 * Also the stall a real network can cause: ICE completes, DTLS never does.
 */
import type { Browser, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { stampReaderSource } from '../../appliance/src/capture/frame-stamp.js';
import { launchChromium } from '../support/chromium.js';
import { tokenFromLink } from '../support/link.js';
import { netnsUnavailable } from '../support/netns.js';
import { useNetnsBox } from '../support/netns-box.js';
import {
  countPresentedFrames,
  evaluatorOf,
  playWhepAudioVideo,
  bearerForPlayers,
  recordWhepExchange,
  waitForPageState,
  whepExchange,
} from '../support/viewer-page.js';

const why = netnsUnavailable();

/** A fresh "device": its own context, the WHEP exchange recorded, every state change kept. */
async function device(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  await context.addInitScript(recordWhepExchange);
  await context.addInitScript(() => {
    const states: string[] = [];
    (window as unknown as { states: string[] }).states = states;
    new MutationObserver(() => {
      const s = document.body?.dataset.state;
      if (s && states.at(-1) !== s) states.push(s);
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-state'] });
  });
  return context.newPage();
}

describe.skipIf(why !== undefined)(why ? `Chromium with default mDNS — SKIPPED: ${why}` : 'Chromium with default mDNS, on a veth LAN', () => {
  const s = useNetnsBox('cr', ['--max-viewers', '3', ...bearerForPlayers], (pair) => launchChromium({ netns: pair.phone.ns }));

  it('plays the live picture; Chromium offered only mDNS names and the pair came from its own checks', async () => {
    const page = await device(s.phone);
    await page.goto(await s.box.newLink());
    const ev = evaluatorOf(page);
    await waitForPageState(ev, 'live', 30_000);
    const counted = await countPresentedFrames(ev, stampReaderSource, 60, 30_000);
    expect(counted.width).toBe(1280);
    expect(counted.last!.seq - counted.first!.seq).toBeGreaterThanOrEqual(50);

    const { offers, answers } = await whepExchange(ev);
    const candidates = offers[0]!.match(/^a=candidate:.*$/gm) ?? [];
    expect(candidates.length).toBeGreaterThan(0);
    for (const c of candidates) expect(c.split(' ')[4]).toMatch(/^[0-9a-f-]{36}\.local$/);
    expect(offers[0]).not.toContain('a=end-of-candidates');
    // The box answers with its veth address, not loopback (no --ice-host).
    expect(answers[0]).toMatch(new RegExp(`a=candidate:\\S+ 1 udp \\d+ ${s.pair.box.ipv4.replace(/\./g, '\\.')} `));
    expect(answers[0]).not.toMatch(/ 127\.0\.0\.1 /);
    // mDNS really ran over the veth: Chromium's responder answered the box's multicast
    // queries for both names. (The addresses it gives are not always usable: the fixture
    // capture got 0.0.0.0 and ::, which the box drops; then ICE rides on the peer-reflexive
    // candidate learned from Chromium's own checks.)
    const resolved = await s.box.waitForLog(/mDNS candidate names resolved/);
    expect(resolved).toMatch(/: 2 of 2 mDNS candidate names resolved, [0-2] candidates added/);
    console.log(`Chromium mDNS: ${/resolved, (\d) candidates added/.exec(resolved)![1]} routable candidate(s) from its answers`);
    await page.context().close();
  });

  it('a standard WHEP player (Bearer, allowed by --whep-bearer always) plays audio + video; the box answers the audio with its heartbeat (the player\'s side: recvonly)', async () => {
    const player = await device(s.phone);
    await player.goto(`${s.box.base}/v`);
    const result = await playWhepAudioVideo(evaluatorOf(player), tokenFromLink(await s.box.newLink()), 4_000);
    expect(result).toMatchObject({ status: 201, audioDirection: 'recvonly', width: 1280 });
    expect(result.frames).toBeGreaterThan(20);
    await player.context().close();
  });

  it('ICE completes but DTLS never does (DTLS dropped at the box): an error within 15 s of the answer, never "Live"', async () => {
    const undo = s.pair.dropInboundDtls(s.pair.box);
    try {
      const page = await device(s.phone);
      const answered = page.waitForResponse((r) => r.url().endsWith('/whep') && r.status() === 201);
      await page.goto(await s.box.newLink());
      await answered;
      const t0 = performance.now();
      await waitForPageState(evaluatorOf(page), 'error', 20_000);
      const afterAnswerS = (performance.now() - t0) / 1000;
      expect(await page.evaluate(() => document.body.dataset.reason)).toBe('secure-setup-failed');
      expect(await page.textContent('#status')).toContain('the secure video connection did not start');
      expect(await page.isVisible('#retry')).toBe(true);
      expect(await page.evaluate(() => (window as unknown as { states: string[] }).states)).not.toContain('live');
      // secure-setup-failed is the page's verdict for exactly "ICE connected, connection
      // (DTLS) not" (media-watchdog.ts stallReason): the stall was the real one.
      console.log(`DTLS stall: error shown ${afterAnswerS.toFixed(1)} s after the answer`);
      expect(afterAnswerS).toBeLessThan(16);
      await page.context().close();
    } finally {
      undo();
    }
  });
});
