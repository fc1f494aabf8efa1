/**
 * A co-parent's requests through the relay: curl in the home namespace (behind a NAT that
 * drops UDP) trusting only the test CA, to https://relay.sonobox.test/b/room1/..., through
 * the relay's nginx (as relay/sonobox-relay renders it) and the box's real tunnel launcher
 * in the clinic namespace, to a stand-in for the box's listener (stand-in-box.ts).
 * It checks what the box receives (the relay's name, no viewer address), body limits,
 * Server-Sent Events passing unbuffered, the tunnel-down page, per-address limits, and that
 * nginx's logs hold only the documented fields: no path, token, header or address.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addresses, relayHostname, type Daemon } from '../support/topology.js';
import { startBoxRoom1, startTunnel, waitForRelayListener } from './box-end.js';
import { missingPrerequisites, relayScenario, type Scenario } from './relay-under-test.js';

const missing = missingPrerequisites();
const RESOURCE = 'sbrl-resource-7f3a';
const base = `https://${relayHostname}/b/room1`;
/** What a viewer might send that no relay log may hold. */
const fake = {
  authorization: 'SBRL-FAKE-AUTH-3b9d',
  fragment: 'SBRL-FAKE-FRAGMENT-a7e4',
  query: 'SBRL-FAKE-QUERY-51c2',
  cookie: 'SBRL-FAKE-COOKIE-9d1e',
  userAgent: 'SBRL-UA-MARKER-0c6f',
};
const viewerHeaders = ['-H', `Authorization: Bearer ${fake.authorization}`, '-H', `Cookie: sb=${fake.cookie}`, '-A', fake.userAgent];

interface Reply {
  code: number;
  version: string;
  headers: Record<string, string>;
  body: string;
  exit: number | null;
}

describe.skipIf(missing.length > 0)('relay: viewer requests through nginx and the tunnel', () => {
  let s: Scenario;
  let standIn: Daemon;
  let tunnel: Daemon;

  beforeAll(async () => {
    s = await relayScenario('sb-rl-h', 'relay/viewer-https');
    ({ standIn, tunnel } = await startBoxRoom1(s.topo, s.setup, RESOURCE));
    s.lap('stand-in and tunnel up');
  }, 90_000);

  afterAll(async () => {
    await s?.close();
  });

  /** curl in `role` with the test CA; headers and body parsed. */
  async function curl(args: readonly string[], role: 'home' | 'clinic' = 'home'): Promise<Reply> {
    const r = await s.topo.exec(role, ['curl', '-sS', '-i', '-m', '10', '--cacert', s.setup.certs.caCert, ...args], { timeoutMs: 15_000 });
    const [head = '', ...rest] = r.stdout.split('\r\n\r\n');
    const [status = '', ...lines] = head.split('\r\n');
    const headers: Record<string, string> = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
    }
    const m = /^HTTP\/(\S+) (\d{3})/.exec(status);
    return { code: Number(m?.[2] ?? 0), version: m?.[1] ?? '', headers, body: rest.join('\r\n\r\n'), exit: r.status };
  }

  it('serves the box\'s viewer page from home over HTTP/2, with HSTS', async () => {
    const r = await curl([...viewerHeaders, `${base}/v?t=${fake.query}`]);
    expect(r.code).toBe(200);
    expect(r.version).toBe('2');
    expect(r.body).toContain('stand-in viewer page of box room1');
    expect(r.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('and over HTTP/1.1, even with a fragment in the request line', async () => {
    const r = await curl(['--http1.1', ...viewerHeaders, '--request-target', `/b/room1/v#t=${fake.fragment}`, `https://${relayHostname}/`]);
    expect(r.code).toBe(200);
    expect(r.body).toContain('stand-in viewer page of box room1');
  });

  it('the box sees the relay\'s name and the tunnel, never the viewer\'s address (even if the viewer sends forwarding headers)', async () => {
    const r = await curl([...viewerHeaders, '-H', 'X-Forwarded-For: 6.6.6.6', '-H', 'Forwarded: for=6.6.6.6', '-H', 'X-Real-IP: 6.6.6.6', `${base}/echo`]);
    const seen = JSON.parse(r.body) as { headers: Record<string, string>; remote: string; url: string };
    expect(seen.url).toBe('/echo');
    expect(seen.headers.host).toBe(relayHostname);
    expect(seen.remote).toBe('127.0.0.1');
    for (const h of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'x-forwarded-host', 'x-forwarded-proto']) expect(seen.headers[h]).toBeUndefined();
    expect(r.body).not.toContain(addresses.homePublic);
    expect(r.body).not.toContain('6.6.6.6');
    // Credentials are the box's business (issue 10's scheme sends none through the relay).
    expect(seen.headers.authorization).toBe(`Bearer ${fake.authorization}`);
  });

  it('passes a WHEP offer of 60 KiB whole, and gives the box\'s Location the relay prefix', async () => {
    const r = await curl([...viewerHeaders, '-H', 'Content-Type: application/sdp', '--data-binary', `@${sdpFile(60 * 1024)}`, `${base}/whep`]);
    expect(r.code).toBe(201);
    expect(JSON.parse(r.body)).toEqual({ received: 60 * 1024 });
    expect(r.headers.location).toBe(`/b/room1/whep/${RESOURCE}`);
  });

  it('refuses a body over 64 KiB at the relay (413), before the tunnel', async () => {
    const r = await curl(['-H', 'Content-Type: application/sdp', '--data-binary', `@${sdpFile(70 * 1024)}`, `${base}/whep`]);
    expect(r.code).toBe(413);
  });

  const tellStandIn = (command: 'tick' | 'end'): void => void standIn.child.stdin!.write(`${command}\n`);

  it('streams Server-Sent Events event by event (the box\'s X-Accel-Buffering: no)', async () => {
    const sse = s.topo.spawn('home', ['curl', '-sS', '-N', '-m', '20', '--cacert', s.setup.certs.caCert, ...viewerHeaders, `${base}/whep/${RESOURCE}/events`]);
    await sse.waitFor(/data: \{"state":"live"\}/, 5_000);
    // An event the box sends later, while the stream stays open, arrives on its own.
    tellStandIn('tick');
    await sse.waitFor(/data: \{"tick":1\}/, 5_000);
    expect(sse.output).not.toContain('ended');
    tellStandIn('end');
    await sse.waitFor(/data: \{"state":"ended"\}/, 5_000);
    expect(await sse.exit()).toBe(0);
  });

  it.each([
    ['a box not in relay.conf', `https://${relayHostname}/b/nobox/v`, 404],
    ['the relay\'s root', `https://${relayHostname}/`, 404],
    ['a path outside /b/', `https://${relayHostname}/whep`, 404],
  ])('answers %s with %s', async (_what, url, code) => {
    expect((await curl([url])).code).toBe(code);
  });

  it('refuses TLS for another name (no SNI match: no certificate shown) and a request for another Host (421)', async () => {
    const other = await curl(['--resolve', `other.sonobox.test:443:${addresses.relay}`, 'https://other.sonobox.test/b/room1/v']);
    expect(other.code).toBe(0);
    expect(other.exit).toBe(35); // CURLE_SSL_CONNECT_ERROR: the handshake was refused
    expect((await curl(['-H', 'Host: rebind.example', `${base}/v`])).code).toBe(421);
  });

  it('sends plain HTTP on port 80 to HTTPS', async () => {
    const r = await s.topo.exec('home', ['curl', '-sS', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', `http://${relayHostname}/b/room1/v`]);
    expect(r.stdout).toBe(`301 ${base}/v`);
  });

  it('says the clinic\'s connection is down while the tunnel is, and serves again once it is back', async () => {
    await tunnel.stop();
    await waitForRelayListener(s.topo, 20_001, false);
    const down = await curl([...viewerHeaders, `${base}/v?t=${fake.query}`]);
    expect(down.code).toBe(503);
    expect(down.headers['retry-after']).toBe('60');
    expect(down.body).toContain("The clinic's connection is down. Try again in a minute.");
    // A box that never connected reads the same.
    expect((await curl([`https://${relayHostname}/b/room2/v`])).code).toBe(503);

    tunnel = startTunnel(s.topo, s.setup, s.setup.boxes[0]!);
    await waitForRelayListener(s.topo, 20_001);
    expect((await curl([`${base}/v`])).code).toBe(200);
  });

  it('limits one address\'s request rate (429) without touching another viewer\'s', async () => {
    // One connection, 120 requests back to back (curl pairs each -o with one URL).
    const urls = Array.from({ length: 120 }, () => ['-o', '/dev/null', `${base}/v`]).flat();
    const r = await s.topo.exec('home', ['curl', '-sS', '--cacert', s.setup.certs.caCert, '-w', '%{http_code}\\n', ...urls], { timeoutMs: 30_000 });
    const codes = r.stdout.trim().split('\n');
    expect(codes).toHaveLength(120);
    // burst=40 on top of 10 requests/s: the first ones pass, most of the rest are refused.
    expect(codes.slice(0, 30)).toEqual(Array(30).fill('200'));
    expect(codes.filter((c) => c === '429').length).toBeGreaterThan(20);
    expect((await curl([`${base}/v`], 'clinic')).code).toBe(200);
  });

  describe('what nginx logged', () => {
    const logs = (): { access: string; error: string } => ({
      access: readFileSync(join(s.setup.out, 'log/nginx-access.log'), 'utf8'),
      error: readFileSync(join(s.setup.out, 'log/nginx-error.log'), 'utf8'),
    });

    it('one access line per request, each exactly the documented fields', () => {
      const lines = logs().access.trim().split('\n');
      expect(lines.length).toBeGreaterThan(100);
      for (const line of lines) {
        expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d box=(room1|room2|-) route=(page|asset|whep|events|whep-session|other) method=(GET|HEAD|POST|PATCH|DELETE|OPTIONS|other) status=\d{3} bytes=\d+ s=\d+\.\d{3}$/);
      }
      const text = lines.join('\n');
      for (const seen of ['box=room1 route=page method=GET status=200', 'box=room1 route=whep method=POST status=201', 'box=room1 route=whep method=POST status=413',
        'box=room1 route=events method=GET status=200', 'box=room1 route=page method=GET status=503', 'box=room2 route=page method=GET status=503',
        'box=- route=other method=GET status=404', 'status=429']) {
        expect(text).toContain(seen);
      }
    });

    it('no token, header value, path fragment or viewer address in the access or error log', () => {
      const { access, error } = logs();
      for (const [name, text] of [['access', access], ['error', error]] as const) {
        for (const secret of [...Object.values(fake), RESOURCE, '/whep', '/b/room1', 'Bearer', 'rebind.example', addresses.homePublic, addresses.clinicPublic, addresses.home]) {
          expect(text, `${name} log`).not.toContain(secret);
        }
      }
    });
  });

  let sdpN = 0;
  /** A file of `bytes` bytes of SDP-looking text in the scenario's directory. */
  function sdpFile(bytes: number): string {
    const path = join(s.setup.dir, `offer-${sdpN++}.sdp`);
    const line = 'a=x-filler:0123456789abcdef0123456789abcdef0123456789abcdef0123\r\n';
    const text = `v=0\r\n${line.repeat(Math.ceil(bytes / line.length))}`.slice(0, bytes);
    writeFileSync(path, text);
    return path;
  }
});

if (missing.length > 0) {
  describe('relay: viewer requests through nginx and the tunnel', () => {
    it.skip(`skipped: needs ${missing.join(', ')} (npm run setup installs .ci/apt-packages.d/relay.txt)`, () => {});
  });
}
