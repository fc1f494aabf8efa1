/**
 * Firefox ESR as a parent's phone runs it: its default ICE (mDNS host candidates,
 * a=end-of-candidates), in its own network namespace on a veth LAN with the box, which runs
 * its own command line in the other namespace with no --ice-host. Only the two offline H.264
 * preferences differ from a stock profile (test/support/firefox.ts says why).
 */
import type { Page } from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { stampReaderSource } from '../../appliance/src/capture/frame-stamp.js';
import { haveFirefox, launchFirefox } from '../support/firefox.js';
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

const why = netnsUnavailable() ?? (haveFirefox ? undefined : 'Debian firefox-esr is not installed (.ci/apt-packages.d/browsers.txt)');

describe.skipIf(why !== undefined)(why ? `Firefox ESR with default ICE — SKIPPED: ${why}` : 'Firefox ESR with default ICE, on a veth LAN', () => {
  let egress: () => number;
  let first: Page;
  const s = useNetnsBox('ff', ['--max-viewers', '2', ...bearerForPlayers], (pair) => launchFirefox({ netns: pair.phone.ns }), (pair) => {
    egress = pair.countForeignEgress(pair.box);
  });

  it('plays the live test pattern: ≥ 100 presented frames at 1280×720, frame counter moving', async () => {
    first = await s.phone.newPage();
    await first.evaluateOnNewDocument(recordWhepExchange);
    await first.goto(s.box.link);
    const page = evaluatorOf(first);
    await waitForPageState(page, 'live', 40_000);
    const counted = await countPresentedFrames(page, stampReaderSource, 100, 60_000);
    expect({ width: counted.width, height: counted.height }).toEqual({ width: 1280, height: 720 });
    expect(counted.frames).toBe(100);
    expect(counted.last!.seq - counted.first!.seq).toBeGreaterThanOrEqual(90);

    // What Firefox really offered: mDNS names only, and the end-of-candidates that made
    // werift give up; and the box resolved them over the veth (multicast, both ways).
    const { offers } = await whepExchange(page);
    const candidates = offers[0]!.match(/^a=candidate:.*$/gm) ?? [];
    expect(candidates.length).toBeGreaterThan(0);
    for (const c of candidates) expect(c.split(' ')[4]).toMatch(/^[0-9a-f-]{36}\.local$/);
    expect(offers[0]).toContain('a=end-of-candidates');
    const resolved = await s.box.waitForLog(/mDNS candidate names resolved/);
    expect(resolved).toMatch(/: 2 of 2 mDNS candidate names resolved, [12] candidates added/);
    expect(first.url()).not.toContain('#');
  });

  it('the same link on a second device is refused while the first keeps playing', async () => {
    const second = await (await s.phone.createBrowserContext()).newPage();
    await second.goto(s.box.link);
    const page = evaluatorOf(second);
    await waitForPageState(page, 'link-invalid');
    expect(await page(() => document.getElementById('status')!.textContent!.replace(/\s+/g, ' ').trim(), null)).toBe(
      'This link has already been used or has expired. Ask the sonographer for a new one.',
    );
    await first.bringToFront(); // a background tab presents no frames
    const still = await countPresentedFrames(evaluatorOf(first), stampReaderSource, 10);
    expect(still.last!.seq).toBeGreaterThan(still.first!.seq);
    await second.browserContext().close();
  });

  it('a WHEP player\'s audio + video offer (video bundle-only) plays; the box answers the audio with its heartbeat (the player\'s side: recvonly)', async () => {
    const token = tokenFromLink(await s.box.newLink());
    const player = await (await s.phone.createBrowserContext()).newPage();
    await player.goto(`${s.box.base}/v`); // same origin for fetch; no fragment, so the page itself does nothing
    const result = await playWhepAudioVideo(evaluatorOf(player), token, 5_000);
    expect(result.status).toBe(201);
    expect(result.audioDirection).toBe('recvonly'); // the box answered sendonly: it has the heartbeat
    expect(result.frames).toBeGreaterThan(20);
    expect(result.width).toBe(1280);
    await player.browserContext().close();
  });

  it('ending the session tells the page; the box sent nothing but to the phone; no address or token in its log', async () => {
    await first.bringToFront();
    expect((await s.box.api('DELETE', '/api/session')).status).toBe(200);
    await waitForPageState(evaluatorOf(first), 'ended', 15_000);
    expect(egress()).toBe(0); // no STUN to Google, no DNS: only the phone and the link's multicast
    // The log, not the `Link:` line main.ts prints for the sonographer's terminal.
    const logs = s.box.logs.filter((l) => !l.startsWith('Link: ')).join('\n');
    for (const secret of [s.pair.phone.ipv4, s.pair.phone.ipv6, tokenFromLink(s.box.link)]) expect(logs).not.toContain(secret);
  });
});
