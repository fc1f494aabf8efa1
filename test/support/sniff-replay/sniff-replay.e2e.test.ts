/**
 * The sniff-and-replay harness proves itself: a stand-in server and a scripted phone in
 * their own namespaces, tcpdump on the server's veth, the capture cut back into requests,
 * and every request replayed from a third address. Asserts that the capture holds exactly
 * the bytes the server received, and that the replay delivers exactly those bytes again,
 * from the other address. (The hostile suite points the same harness at the real box.)
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startCapture } from './capture.js';
import { requestLine, splitRequests } from './http-framing.js';
import { createLan, type Lan } from './lan.js';
import { tcpConnections } from './pcap.js';
import { replayFrom } from './replay.js';

const PORT = 18081;
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

let lan: Lan;
let server: ChildProcessByStdio<Writable, Readable, Readable>;
let serverOut = '';

// Per test (not per file), so that vitest's one retry starts from a fresh LAN and server.
beforeEach(async () => {
  serverOut = '';
  lan = createLan('sb-sec', ['box', 'phone', 'evil']);
  const [cmd, ...args] = lan.hosts.box!.argv([process.execPath, '--import', tsx, here('./stand-in-server.ts'), lan.hosts.box!.address, String(PORT)]);
  server = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  server.stdout.on('data', (c: Buffer) => (serverOut += c.toString()));
  await new Promise<void>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`stand-in server exited (${code})`)));
    const poll = setInterval(() => {
      if (!serverOut.includes('listening\n')) return;
      clearInterval(poll);
      resolve();
    }, 20);
  });
});

afterEach(() => {
  server?.kill('SIGKILL');
  lan?.destroy();
});

/** Ends the stand-in and returns every connection it saw, with the exact bytes received. */
async function recorded(): Promise<Array<{ remoteAddress: string; bytes: Buffer }>> {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.stdin.end();
  await exited;
  const json = serverOut.slice(serverOut.indexOf('listening\n') + 'listening\n'.length);
  return (JSON.parse(json) as Array<{ remoteAddress: string; bytes: string }>).map((r) => ({ remoteAddress: r.remoteAddress, bytes: Buffer.from(r.bytes, 'base64') }));
}

function run(argv: string[]): Promise<void> {
  const [cmd, ...args] = argv;
  const child = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} failed (${code}): ${err}`)))));
}

describe('sniff-and-replay harness (self-test against a stand-in server)', () => {
  it('captures a session on the box\'s veth and replays every request byte for byte from another address', async () => {
    const { box, phone, evil } = lan.hosts as Record<'box' | 'phone' | 'evil', NonNullable<Lan['hosts'][string]>>;
    const capture = await startCapture(box, `tcp port ${PORT}`);
    await run(phone.argv([process.execPath, '--import', tsx, here('./scripted-client.ts'), box.address, String(PORT)]));
    const pcap = await capture.stop();

    // The capture, cut back into connections and requests.
    const connections = tcpConnections(pcap).filter((c) => c.server.port === PORT);
    expect(connections.map((c) => c.client.address)).toEqual([phone.address, phone.address]);
    const cut = connections.map((c) => splitRequests(c.toServer));
    expect(cut.map((c) => c.rest.length)).toEqual([0, 0]);
    const requests = cut.flatMap((c) => c.requests);
    expect(requests.map((r) => `${requestLine(r).method} ${requestLine(r).target}`).sort()).toEqual(['DELETE /whep/r1', 'GET /whep/r1/events', 'POST /whep', 'POST /whep']);
    expect(requests.some((r) => r.includes('Transfer-Encoding: chunked'))).toBe(true);

    const replayed = await replayFrom(evil, { address: box.address, port: PORT }, requests, { settleMs: 300 });
    // Every answer names the SHA-256 of exactly the bytes the server received.
    for (const r of replayed) {
      expect(r.status).toBe(200);
      expect(r.response.toString('latin1')).toContain(`X-Request-Sha256: ${createHash('sha256').update(r.request).digest('hex')}`);
    }
    expect(replayed.map((r) => r.ending).sort()).toEqual(['complete', 'complete', 'complete', 'quiet']);

    const seen = await recorded();
    const fromPhone = seen.filter((s) => s.remoteAddress === phone.address);
    const fromEvil = seen.filter((s) => s.remoteAddress === evil.address);
    // What the capture holds is exactly what the server received from the phone…
    expect(fromPhone.map((s) => s.bytes.toString('base64')).sort()).toEqual(connections.map((c) => c.toServer.toString('base64')).sort());
    // …and the replay delivered each captured request unchanged, from the other address.
    expect(fromEvil.map((s) => s.bytes.toString('base64'))).toEqual(requests.map((r) => r.toString('base64')));
    expect(seen).toHaveLength(fromPhone.length + fromEvil.length);
  });
});
