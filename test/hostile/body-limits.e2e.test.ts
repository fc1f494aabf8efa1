/**
 * Oversize and lying bodies over real sockets: a declared length over 64 KiB is refused
 * with 413 before a byte of body is read; a body longer than its declared length, or an
 * endless chunked body, gets its connection cut; the box keeps answering. Not about
 * credentials: the box accepts Bearer here (whepBearer 'always') so raw sockets can carry one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeViewerFactory } from '../../appliance/src/http/test/fake-viewer-factory.js';
import { buildHostileBox, collectUntilClosed, rawSocket, type HostileBox } from './hostile-box.js';

const MB10 = 10 * 1024 * 1024;

describe('oversize and lying Content-Length bodies', () => {
  let box: HostileBox;
  let token: string;
  beforeAll(async () => {
    box = buildHostileBox({ viewers: new FakeViewerFactory(), whepBearer: 'always', limits: { failures: { windowMs: 60_000, perAddress: 1e9, global: 1e9, maxAddresses: 256 } } });
    await box.listen();
    token = box.token();
  });
  afterAll(async () => {
    await box?.stop();
  });

  const head = (length: string, auth = token) =>
    `POST /whep HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sdp\r\nAuthorization: Bearer ${auth}\r\n${length}\r\n`;

  it('declares 10 MB and sends nothing more → 413 at once, connection closed, link unused', async () => {
    const s = await rawSocket(box.base);
    const t0 = performance.now();
    s.write(head(`Content-Length: ${MB10}\r\n`));
    const r = await collectUntilClosed(s, 5000);
    expect(r.data).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.data).toContain('"error":"body-too-large"');
    expect(r.data.toLowerCase()).toContain('connection: close');
    expect(r.closedAfterMs).not.toBeNull();
    console.log(`413 for a declared 10 MB body after ${(performance.now() - t0).toFixed(0)} ms`);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(box.unused(token)).toBe(true);
  });

  it('declares 100 bytes and sends 10 MB → the connection is cut long before 10 MB is taken', async () => {
    const s = await rawSocket(box.base);
    s.write(head('Content-Length: 100\r\n'));
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const result = collectUntilClosed(s, 10_000);
    // Write as fast as the socket takes it until it is cut or 10 MB have gone.
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        while (written < MB10 && !s.destroyed) {
          written += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        resolve();
      };
      s.once('close', () => resolve());
      pump();
    });
    const r = await result;
    expect(r.closedAfterMs).not.toBeNull();
    // The 100 declared bytes are answered (a bad offer, the link stays unused), then the
    // rest is a malformed next request and node closes the connection.
    expect(r.data).toMatch(/^HTTP\/1\.1 (400|403) /);
    console.log(`lying Content-Length: connection cut after ${(written / 1024).toFixed(0)} KiB offered; server said ${r.data.split('\r\n')[0]}`);
    expect(box.unused(token)).toBe(true);
  });

  it('a chunked body with no length is cut with 413 once it passes 64 KiB', async () => {
    const s = await rawSocket(box.base);
    s.write(head('Transfer-Encoding: chunked\r\n'));
    const result = collectUntilClosed(s, 10_000);
    const chunk = Buffer.alloc(16 * 1024, 'x');
    let sent = 0;
    while (!s.destroyed && sent < MB10) {
      s.write(`${chunk.length.toString(16)}\r\n`);
      s.write(chunk);
      s.write('\r\n');
      sent += chunk.length;
      await new Promise((r) => setImmediate(r));
      if (sent > 2 * 1024 * 1024) break;
    }
    const r = await result;
    console.log(`chunked: cut after ${(sent / 1024).toFixed(0)} KiB sent; ${r.data.split('\r\n')[0] || '(no response read)'} ${r.error ?? ''}`);
    expect(r.closedAfterMs).not.toBeNull();
    expect(sent).toBeLessThan(1024 * 1024);
    // Either the 413 arrives, or the server's close resets the socket under our writes first.
    if (r.data === '') expect(['ECONNRESET', 'EPIPE']).toContain(r.error);
    else expect(r.data).toMatch(/^HTTP\/1\.1 413 /);
    expect(box.unused(token)).toBe(true);
  });

  it('a 10 MB body on a non-SDP route is refused with 413 at once (1 KiB limit there)', async () => {
    const s = await rawSocket(box.base);
    s.write(`DELETE /whep/nobody HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: ${MB10}\r\n\r\n`);
    const r = await collectUntilClosed(s, 5000);
    expect(r.data).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('after all that the box still answers, and the untouched link still opens a viewer', async () => {
    const status = await fetch(new URL('/api/status', box.base));
    expect(status.status).toBe(200);
    const r = await fetch(new URL('/whep', box.base), {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
      body: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 102\r\n',
    });
    expect(r.status).toBe(201);
  });
});
