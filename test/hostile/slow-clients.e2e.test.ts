/**
 * Slowloris on loopback: clients that dribble headers or a body one byte a second are cut
 * at the server's own timeouts (serverTimeouts, the real defaults), while a real werift
 * viewer connects through WHEP and receives video during the attack.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverTimeouts } from '../../appliance/src/http/server.js';
import { PacketReceiver } from '../../bench/packet-receiver.js';
import { buildHostileBox, chromiumOffer, collectUntilClosed, rawSocket, type HostileBox } from './hostile-box.js';

/** Attackers of each kind; each holds one socket. */
const ATTACKERS = 10;
/** Slack over a timeout: node checks every checkIntervalMs, plus scheduling on a busy 2-core box. */
const SLACK_MS = serverTimeouts.checkIntervalMs + 2_000;

function dribble(s: Socket, text: string): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (s.destroyed || i >= text.length) return;
    s.write(text[i++]!);
  }, 1000);
  return () => clearInterval(timer);
}

describe('slow clients are cut at the timeouts while a real viewer still gets video', () => {
  let box: HostileBox;
  beforeAll(async () => {
    // Bearer over plain HTTP for the raw-socket attackers (this test is about timeouts, not credentials).
    box = buildHostileBox({ media: true, whepBearer: 'always' });
    await box.listen();
  });
  afterAll(async () => {
    await box?.stop();
  });

  it(`slow headers are cut at headersTimeout (${serverTimeouts.headersTimeoutMs} ms) and slow bodies at requestTimeout (${serverTimeouts.requestTimeoutMs} ms); the viewer plays meanwhile; the slow body's link stays unused`, async () => {
    const stops: (() => void)[] = [];
    const slowHeaders = await Promise.all(Array.from({ length: ATTACKERS }, () => rawSocket(box.base)));
    const headerResults = slowHeaders.map((s) => {
      stops.push(dribble(s, `POST /whep HTTP/1.1\r\nHost: localhost\r\nX-Slow: ${'a'.repeat(200)}`));
      return collectUntilClosed(s, 40_000);
    });
    const slowBodyToken = box.token();
    const slowBodies = await Promise.all(Array.from({ length: ATTACKERS }, () => rawSocket(box.base)));
    const bodyResults = slowBodies.map((s) => {
      s.write(
        `POST /whep HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sdp\r\nAuthorization: Bearer ${slowBodyToken}\r\nContent-Length: ${chromiumOffer.length}\r\n\r\n`,
      );
      stops.push(dribble(s, chromiumOffer));
      return collectUntilClosed(s, 40_000);
    });

    // During the attack: a real viewer negotiates and receives access units.
    await new Promise((r) => setTimeout(r, 2000));
    const viewer = new PacketReceiver(box.base);
    try {
      await viewer.connect(box.token());
      const t0 = Date.now();
      while (viewer.frames < 20 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
      expect(viewer.frames).toBeGreaterThanOrEqual(20);

      const headers = await Promise.all(headerResults);
      const bodies = await Promise.all(bodyResults);
      for (const r of headers) {
        expect(r.closedAfterMs).not.toBeNull();
        expect(r.closedAfterMs!).toBeLessThan(serverTimeouts.headersTimeoutMs + SLACK_MS);
        expect(r.closedAfterMs!).toBeGreaterThan(serverTimeouts.headersTimeoutMs - 1000);
        expect(r.data).toMatch(/^HTTP\/1\.1 408 /);
      }
      for (const r of bodies) {
        expect(r.closedAfterMs).not.toBeNull();
        expect(r.closedAfterMs!).toBeLessThan(serverTimeouts.requestTimeoutMs + SLACK_MS);
        expect(r.data).toMatch(/^HTTP\/1\.1 408 /);
      }
      const durations = [...headers, ...bodies].map((r) => Math.round(r.closedAfterMs!));
      console.log(`slow headers cut after ${Math.min(...durations.slice(0, ATTACKERS))}–${Math.max(...durations.slice(0, ATTACKERS))} ms; slow bodies after ${Math.min(...durations.slice(ATTACKERS))}–${Math.max(...durations.slice(ATTACKERS))} ms; viewer frames meanwhile: ${viewer.frames}`);
      // The viewer kept receiving through the whole attack.
      const before = viewer.frames;
      await new Promise((r) => setTimeout(r, 1000));
      expect(viewer.frames).toBeGreaterThan(before);
      // The slow body never reached the handler: its link is still unused.
      expect(box.unused(slowBodyToken)).toBe(true);
    } finally {
      for (const stop of stops) stop();
      for (const s of [...slowHeaders, ...slowBodies]) s.destroy();
      await viewer.close();
    }
  }, 60_000);
});
