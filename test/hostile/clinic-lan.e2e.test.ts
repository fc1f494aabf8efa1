/**
 * Issue 10, tried as an outsider would: the box in its default clinic mode (plain HTTP,
 * `npm start`'s command line) in a network namespace on a bridged LAN, the parent's phone
 * (Debian Chromium, default ICE, the real page) on another, and strangers on five more.
 * tcpdump on the box's veth records the parent's whole session; the strangers then do what
 * a sniffer can: read the capture, replay every request byte for byte, hang the parent up
 * with what they saw, address the box by a rebound name, and flood it with bad credentials.
 * Each attack must gain nothing, and the parent must keep watching throughout.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stampReaderSource } from '../../appliance/src/capture/frame-stamp.js';
import { launchChromium } from '../support/chromium.js';
import { tokenFromLink } from '../support/link.js';
import { netnsUnavailable } from '../support/netns.js';
import { startNetnsBox, type NetnsBox } from '../support/netns-box.js';
import { startCapture } from '../support/sniff-replay/capture.js';
import { requestLine, splitRequests } from '../support/sniff-replay/http-framing.js';
import { createLan, type Lan, type LanHost } from '../support/sniff-replay/lan.js';
import { tcpConnections } from '../support/sniff-replay/pcap.js';
import { replayFrom } from '../support/sniff-replay/replay.js';
import { countPresentedFrames, evaluatorOf, openViewer, waitForState } from '../support/viewer-page.js';

const why = netnsUnavailable();
const PORT = 8080;
const strangers = ['evil', 'e2', 'e3', 'e4', 'e5'] as const;

let lan: Lan;
let box: NetnsBox;
let phone: Browser;
let parent: Page;
let token = '';
/** Every request the parent's phone sent, as captured on the box's wire. */
let captured: Buffer[] = [];
let wire = Buffer.alloc(0);

const host = (name: string): LanHost => lan.hosts[name]!;
const target = (): { address: string; port: number } => ({ address: host('box').address, port: PORT });

/** The box's /api/status, asked from the box itself. */
async function status(): Promise<{ session: { viewers: number; viewerChanges: number } }> {
  const r = await box.api('GET', '/api/status');
  return JSON.parse(r.body) as { session: { viewers: number; viewerChanges: number } };
}

/** The parent is still watching: Live, and 30 more frames presented with the box's counter moving. */
async function parentStillWatching(): Promise<void> {
  expect(await parent.evaluate(() => document.body.dataset.state)).toBe('live');
  const counted = await countPresentedFrames(evaluatorOf(parent), stampReaderSource, 30, 30_000);
  expect(counted.last!.seq).toBeGreaterThan(counted.first!.seq);
}

/** A raw HTTP/1.1 request as a stranger would write it. */
function rawRequest(method: string, path: string, headers: Record<string, string>, body = ''): Buffer {
  const head = [`${method} ${path} HTTP/1.1`, `Host: ${host('box').address}:${PORT}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close', '', ''].join('\r\n');
  return Buffer.from(head + body);
}

const b64u32 = (): string => randomBytes(32).toString('base64url');

describe.skipIf(why !== undefined)(why ? `clinic LAN attacks — skipped: ${why}` : 'clinic LAN: a sniffer and strangers against the box in its default mode', () => {
  beforeAll(async () => {
    lan = createLan('sb-clin', ['box', 'phone', ...strangers], '10.232.0');
    box = await startNetnsBox(host('box'), ['--max-viewers', '2']);
    phone = await launchChromium({ netns: host('phone').ns });
    const capture = await startCapture(host('box'), `tcp port ${PORT}`);
    try {
      token = tokenFromLink(box.link);
      parent = await openViewer(phone, box.link);
      await waitForState(parent, 'live', 30_000);
      // A few seconds of a real session on the wire: the claim, the events, keep-alives.
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      const pcap = await capture.stop();
      const connections = tcpConnections(pcap).filter((c) => c.server.port === PORT);
      wire = Buffer.concat(connections.flatMap((c) => [c.toServer, c.toClient]));
      captured = connections.flatMap((c) => splitRequests(c.toServer).requests);
    }
  }, 120_000);
  afterAll(async () => {
    await phone?.close();
    await box?.stop();
    lan?.destroy();
  });

  it('a passive observer reads no reusable credential off the wire: no token, no Bearer, no resume secret, no proof twice', () => {
    const whep = captured.filter((r) => requestLine(r).target.startsWith('/whep'));
    expect(whep.map((r) => `${requestLine(r).method} ${requestLine(r).target.replace(/\/whep\/[^/]+/, '/whep/<id>')}`)).toEqual(['POST /whep', 'GET /whep/<id>/events']);
    expect(wire.toString('latin1')).not.toContain(token);
    expect(wire.toString('latin1')).not.toMatch(/Bearer|X-Sonobox-Resume/i);
    const proofs = whep.map((r) => /\r\nAuthorization: (Sonobox-Proof [^\r]+)\r\n/i.exec(r.toString('latin1'))?.[1]);
    expect(proofs.every((p) => p !== undefined)).toBe(true);
    expect(new Set(proofs).size).toBe(proofs.length);
  });

  it('every captured request, replayed byte for byte from another address, is refused (403) and changes nothing', async () => {
    const whep = captured.filter((r) => requestLine(r).target.startsWith('/whep'));
    const replayed = await replayFrom(host('evil'), target(), whep, { settleMs: 500 });
    expect(replayed.map((r) => r.status)).toEqual(whep.map(() => 403));
    expect(await status()).toMatchObject({ session: { viewers: 1, viewerChanges: 0 } });
    await parentStillWatching();
  });

  it('a stranger cannot hang the parent up or take their place with what it saw (DELETE, events, resume with its own offer)', async () => {
    const claim = captured.find((r) => requestLine(r).method === 'POST')!.toString('latin1');
    const proof = /\r\nAuthorization: ([^\r]+)\r\n/i.exec(claim)![1]!;
    const events = captured.map((r) => requestLine(r).target).find((t) => t.endsWith('/events'))!;
    const resource = events.replace(/\/events$/, '');
    const attempts = [
      rawRequest('DELETE', resource, {}),
      rawRequest('DELETE', resource, { Authorization: proof }),
      rawRequest('DELETE', resource, { Authorization: `Bearer ${token}` }), // someone who photographed the QR code
      rawRequest('GET', events, {}),
      rawRequest('POST', '/whep', { 'Content-Type': 'application/sdp', Authorization: proof }, 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n'),
    ];
    const answers = await replayFrom(host('evil'), target(), attempts, { settleMs: 500 });
    expect(answers.map((a) => a.status)).toEqual([403, 403, 403, 403, 403]);
    // What the box logs never names the resource a stranger would need.
    expect(box.logs.join('\n')).not.toContain(resource.split('/').pop());
    expect(await status()).toMatchObject({ session: { viewers: 1, viewerChanges: 0 } });
    await parentStillWatching();
  });

  it('DNS rebinding: a Host the box is not called gets 421; box-only routes need a loopback name even on the box', async () => {
    const rebound = rawRequest('GET', '/v', {}).toString('latin1').replace(/Host: [^\r]+/, 'Host: rebind.evil.example:8080');
    const [answer] = await replayFrom(host('evil'), target(), [Buffer.from(rebound, 'latin1')]);
    expect(answer!.status).toBe(421);
    const onTheBox = (hostHeader: string): Promise<string> =>
      new Promise((resolve, reject) => {
        execFile('ip', ['netns', 'exec', host('box').ns, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Host: ${hostHeader}`, `http://127.0.0.1:${PORT}/api/cart.png`], (err, out) => (err ? reject(err) : resolve(out)));
      });
    // A page on rebind.evil.example, its name pointed at 127.0.0.1, running in a browser on the box.
    expect(await onTheBox('rebind.evil.example:8080')).toBe('421');
    // The box's own LAN address is a viewer name, never a box-only one.
    expect(await onTheBox(`${host('box').address}:${PORT}`)).toBe('403');
    expect(await onTheBox(`localhost:${PORT}`)).toBe('200');
  });

  it('600 bad credentials from 5 addresses at once do not lock the parent out: a fresh link plays, the limit is logged once', async () => {
    const offer = captured.find((r) => requestLine(r).method === 'POST')!.toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n');
    const flood = (): Buffer[] =>
      Array.from({ length: 120 }, () => rawRequest('POST', '/whep', { 'Content-Type': 'application/sdp', Authorization: `Sonobox-Proof id=${b64u32()}, n=1, key=${b64u32()}, mac=${b64u32()}` }, offer));
    const results = await Promise.all(strangers.map((s) => replayFrom(host(s), target(), flood(), { settleMs: 300 })));
    const codes = results.flat().map((r) => r.status);
    expect(codes).toHaveLength(600);
    expect(codes.every((c) => c === 403 || c === 429)).toBe(true);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0); // the budget did bite

    // The parent's sibling gets a new link from the cart, while the strangers are still over budget.
    const sibling = await openViewer(phone, await box.newLink());
    await waitForState(sibling, 'live', 30_000);
    expect(await status()).toMatchObject({ session: { viewers: 2 } });
    await parentStillWatching();
    await sibling.context().close();

    const limitLines = box.logs.filter((l) => /bad credentials/.test(l));
    expect(limitLines.length).toBeGreaterThanOrEqual(1);
    expect(limitLines.length).toBeLessThanOrEqual(2); // once per kind (one address, everyone) per window
    for (const s of strangers) expect(box.logs.join('\n')).not.toContain(host(s).address);
  });
});
