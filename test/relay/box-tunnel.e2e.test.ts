/**
 * The boxes' control channel: the relay's own sshd (as relay/sonobox-relay renders it,
 * reached through nginx on port 443) and the box's tunnel launcher
 * (systemd/sonobox-tunnel-launch), from the clinic namespace behind a NAT that lets only
 * TCP out. A box key may hold exactly one reverse forward, 127.0.0.1:<its port> on the
 * relay; every other forward, a command, a shell and a pty are refused, and so are unknown
 * keys, passwords and a relay whose host key is not the pinned one.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addresses } from '../support/topology.js';
import { relayListeners, sshFromClinic, startTunnel, waitForRelayListener } from './box-end.js';
import { makeBoxKey, missingPrerequisites, relayScenario, type Scenario } from './relay-under-test.js';

const missing = missingPrerequisites();
const HELD = 'remote port forwarding failed for listen';

describe.skipIf(missing.length > 0)('relay: the boxes\' reverse tunnels', () => {
  let s: Scenario;
  const room1 = () => s.setup.boxes[0]!;
  const room2 = () => s.setup.boxes[1]!;
  const forward = (listen: string) => ['-N', '-R', `${listen}:127.0.0.1:8081`];

  beforeAll(async () => {
    s = await relayScenario('sb-rl-t', 'relay/box-tunnel');
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  it.each([
    ['another box\'s port', () => room1().key, '127.0.0.1:20002', 20_002],
    ['its own port on every address (0.0.0.0)', () => room2().key, '0.0.0.0:20002', 20_002],
    ['its own port by the name "localhost"', () => room2().key, 'localhost:20002', 20_002],
    ['a port outside relay.conf', () => room1().key, '127.0.0.1:8443', 8443],
  ])('refuses a key a reverse forward on %s', async (_what, key, listen, port) => {
    const before = await relayListeners(s.topo, port);
    const r = await sshFromClinic(s.topo, s.setup, { key: key(), args: forward(listen) });
    expect(r.status).toBe(255);
    expect(r.stderr).toContain(HELD);
    expect(await relayListeners(s.topo, port)).toEqual(before);
  });

  it('gives a key the one forward it is allowed (control case: 127.0.0.1 at its own port)', async () => {
    const d = startTunnel(s.topo, s.setup, room2());
    await waitForRelayListener(s.topo, 20_002);
    expect(await relayListeners(s.topo, 20_002)).toEqual(['127.0.0.1:20002']);
    await d.stop();
    await waitForRelayListener(s.topo, 20_002, false);
  });

  it('refuses a unix-socket forward', async () => {
    const r = await sshFromClinic(s.topo, s.setup, { key: room1().key, args: ['-N', '-R', '/tmp/sb-rl-t-forward.sock:127.0.0.1:8081'] });
    expect(r.status).toBe(255);
    expect(r.stderr).toContain(HELD);
  });

  it.each([
    ['to the relay\'s own HTTPS server', '127.0.0.1:8443'],
    ['to another box\'s tunnel', '127.0.0.1:20002'],
    ['out to the Internet', `${addresses.internetPeer}:80`],
  ])('refuses a local forward (direct-tcpip) %s', async (_what, target) => {
    const r = await sshFromClinic(s.topo, s.setup, { key: room1().key, args: ['-W', target] });
    expect(r.status).toBe(255);
    expect(r.stderr).toMatch(/administratively prohibited|open failed/);
  });

  it.each([
    ['a command', [], ['echo', 'SBRL-RAN-$((6*7))']],
    ['a shell', ['-T'], []],
    ['a pty', ['-tt'], []],
  ] as const)('refuses %s', async (_what, args, command) => {
    const r = await sshFromClinic(s.topo, s.setup, { key: room1().key, args, command, timeoutMs: 10_000 });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain('SBRL-RAN-42');
    expect(r.stdout).toBe('');
    // MaxSessions 0: sshd opens no session channel at all (its log: "no more sessions").
    expect(r.stderr).toMatch(/channel 0: open failed/);
  });

  it('refuses a key that is not in relay.conf, and a password', async () => {
    const stranger = makeBoxKey(s.setup.dir, 'stranger');
    const r = await sshFromClinic(s.topo, s.setup, { key: stranger.key, args: forward('127.0.0.1:20001') });
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('Permission denied (publickey)');
    const p = await sshFromClinic(s.topo, s.setup, { key: stranger.key, args: ['-o', 'PreferredAuthentications=password,keyboard-interactive', '-N'] });
    expect(p.stderr).toContain('Permission denied (publickey)');
  });

  it('a box refuses a relay whose host key is not the pinned one', async () => {
    const other = makeBoxKey(s.setup.dir, 'not-the-relay');
    const knownHosts = join(s.setup.dir, 'wrong_known_hosts');
    writeFileSync(knownHosts, `sonobox-relay ${readFileSync(other.pub, 'utf8').split(' ').slice(0, 2).join(' ')}\n`);
    const r = await sshFromClinic(s.topo, s.setup, { key: room1().key, knownHosts, args: forward('127.0.0.1:20001') });
    expect(r.status).toBe(255);
    expect(r.stderr).toContain('Host key verification failed');
  });

  it('the launcher, from the relay\'s tunnel.env and the credentials, holds 127.0.0.1:20001 on the relay through the clinic NAT', async () => {
    const d = startTunnel(s.topo, s.setup, room1());
    await waitForRelayListener(s.topo, 20_001);
    expect(await relayListeners(s.topo, 20_001)).toEqual(['127.0.0.1:20001']);
    expect(d.running).toBe(true);
    expect(d.output).toMatch(/connecting box room1 to relay\.sonobox\.test:443 \(relay port 20001 -> 127\.0\.0\.1:8081\)/);

    // A second connection for the same box while the first holds the port exits at once
    // (ExitOnForwardFailure): systemd's restart then retries with back-off.
    const second = startTunnel(s.topo, s.setup, room1());
    expect(await second.exit(15_000)).toBe(255);
    expect(second.output).toContain(HELD);

    // The connection dropping frees the port at once, and the next start holds it again.
    await d.stop();
    await waitForRelayListener(s.topo, 20_001, false);
    const again = startTunnel(s.topo, s.setup, room1());
    await waitForRelayListener(s.topo, 20_001);
    await again.stop();
  });

  it('sshd logs boxes as 127.0.0.1 with their key, never the clinic\'s address', async () => {
    const log = s.relay.sshd.output;
    expect(log).toMatch(/Accepted publickey for sonobox-tunnel from 127\.0\.0\.1 port \d+ ssh2: ED25519 SHA256:/);
    expect(log).toContain('no more sessions');
    expect(log).not.toContain(addresses.clinicPublic);
    expect(log).not.toContain(addresses.box);
  });
});

if (missing.length > 0) {
  describe('relay: the boxes\' reverse tunnels', () => {
    it.skip(`skipped: needs ${missing.join(', ')} (npm run setup installs .ci/apt-packages.d/relay.txt)`, () => {});
  });
}
