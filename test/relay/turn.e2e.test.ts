/**
 * The relay's coturn, as relay/sonobox-relay renders it, in a namespace Internet
 * (test/support/topology.ts), driven by coturn's own test clients (turnutils_*):
 *   - from home (a NAT that drops all UDP) UDP to the relay never arrives, while TURN over
 *     TLS on 443 (nginx terminating TLS, coturn behind it) allocates with a fresh TURN REST
 *     credential and relays to a peer on the Internet and back;
 *   - from the clinic (a NAT that lets only TCP out) TURN over TCP 3478 and over TLS work;
 *   - an expired or wrongly keyed credential is refused;
 *   - relaying to private, loopback, link-local or CGNAT addresses is refused
 *     (denied-peer-ip), including the relay host's own private network, which the relay
 *     itself can reach (control case);
 *   - coturn's output, through the unit's filter, holds no address at all and no password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addresses, type Daemon } from '../support/topology.js';
import { missingPrerequisites, relayScenario, turnRestCredential, type Scenario } from './relay-under-test.js';

const missing = missingPrerequisites();
const PEER_PORT = '3480';

describe.skipIf(missing.length > 0)('relay: coturn through the NATs', () => {
  let s: Scenario;
  const peers: Daemon[] = [];
  const now = (): number => Math.floor(Date.now() / 1000);
  const fresh = (): { username: string; password: string } => turnRestCredential(s.setup.secret, now() + 600);
  const passwords: string[] = [];

  beforeAll(async () => {
    s = await relayScenario('sb-rl-u', 'relay/turn');
    // UDP echo peers: one on the Internet, one on the relay host's private network.
    for (const a of [addresses.internetPeer, addresses.relayPrivate]) {
      peers.push(s.topo.spawn('inet', ['turnutils_peer', '-L', a, '-p', PEER_PORT]));
    }
    await new Promise((r) => setTimeout(r, 300));
  }, 60_000);

  afterAll(async () => {
    await s?.close();
  });

  /** turnutils_uclient from `role`: allocate, permission/channel for `peer`, 5 messages there and back. */
  async function uclient(role: 'home' | 'clinic', transport: 'tls' | 'tcp', peer: string, cred: { username: string; password: string }) {
    passwords.push(cred.password);
    const t = transport === 'tls' ? ['-t', '-S', '-E', s.setup.certs.caCert, '-p', '443'] : ['-t', '-p', '3478'];
    const r = await s.topo.exec(role, ['turnutils_uclient', ...t, '-e', peer, '-r', PEER_PORT, '-n', '5', '-c', '-u', cred.username, '-w', cred.password, addresses.relay], { timeoutMs: 15_000 });
    const m = /start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)/.exec(r.stdout);
    return { ...r, sent: Number(m?.[1] ?? 0), received: Number(m?.[2] ?? 0), text: `${r.stdout}${r.stderr}` };
  }

  /** A STUN binding request over UDP: answered or not within 3 s. */
  async function stunOverUdp(role: 'home' | 'clinic' | 'inet'): Promise<boolean> {
    const r = await s.topo.exec(role, ['timeout', '3', 'turnutils_stunclient', addresses.relay], { timeoutMs: 6_000 });
    return r.status === 0 && /UDP reflexive addr/.test(r.stdout);
  }

  it('answers STUN over UDP on 3478 from the Internet (control case)', async () => {
    expect(await stunOverUdp('inet')).toBe(true);
  });

  it.each(['home', 'clinic'] as const)('UDP from %s to the relay never arrives (that NAT drops UDP)', async (role) => {
    expect(await stunOverUdp(role)).toBe(false);
  });

  it('from home, TURN over TLS on port 443 allocates with an ephemeral REST credential and relays both ways', async () => {
    const r = await uclient('home', 'tls', addresses.internetPeer, fresh());
    expect(r.received, r.text.slice(-800)).toBe(5);
    expect(r.status).toBe(0);
  });

  it.each([['tcp'], ['tls']] as const)('from the clinic (the box\'s side), TURN over %s relays both ways', async (transport) => {
    const r = await uclient('clinic', transport, addresses.internetPeer, fresh());
    expect(r.received, r.text.slice(-800)).toBe(5);
  });

  it('refuses an expired credential (401), while the same client with a fresh one got through', async () => {
    const r = await uclient('home', 'tls', addresses.internetPeer, turnRestCredential(s.setup.secret, now() - 5));
    expect(r.received).toBe(0);
    expect(r.status).not.toBe(0);
    expect(r.text).toMatch(/Cannot complete Allocation|error 401/);
  });

  it('refuses a credential made with another secret', async () => {
    const r = await uclient('home', 'tls', addresses.internetPeer, turnRestCredential('not-the-relay-secret-0123456789abcdef', now() + 600));
    expect(r.received).toBe(0);
    expect(r.text).toMatch(/Cannot complete Allocation|error 401/);
  });

  it('the relay host can reach its own private network directly (control case for the next test)', async () => {
    const probe = `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(2);s.sendto(b'ping',('${addresses.relayPrivate}',${PEER_PORT}));print(s.recvfrom(100)[0].decode())`;
    const r = await s.topo.exec('inet', ['python3', '-c', probe]);
    expect(r.stdout.trim()).toBe('ping');
  });

  it.each([
    ['the relay host\'s private network (RFC 1918 10/8)', addresses.relayPrivate],
    ['the clinic LAN (RFC 1918 192.168/16)', addresses.box],
    ['loopback (the relay\'s own nginx, sshd, box tunnels)', '127.0.0.1'],
    ['link-local (cloud metadata)', '169.254.169.254'],
    ['carrier-grade NAT space (RFC 6598)', '100.64.0.1'],
    ['RFC 1918 172.16/12', '172.16.0.1'],
  ])('refuses to relay to %s (denied-peer-ip: 403)', async (_what, peer) => {
    const r = await uclient('home', 'tls', peer, fresh());
    expect(r.received).toBe(0);
    expect(r.text).toMatch(/403 \(Forbidden IP\)/);
  });

  it('a client that resets its TCP connection is logged without its address (coturn would print it)', async () => {
    // A STUN binding request over TCP, then a close with RST (SO_LINGER 0).
    const reset = `import socket,struct,os;s=socket.create_connection(('${addresses.relay}',3478),timeout=3);s.sendall(struct.pack('!HHI',1,0,0x2112A442)+os.urandom(12));s.recv(100);s.setsockopt(socket.SOL_SOCKET,socket.SO_LINGER,struct.pack('ii',1,0));s.close()`;
    const r = await s.topo.exec('home', ['python3', '-c', reset]);
    expect(r.status, r.stderr).toBe(0);
    await s.relay.turn.waitFor(/Connection reset by peer <address>:\d+/);
  });

  it('coturn\'s output holds no address at all and no password (it did log the refusals)', async () => {
    // Its lines reach the pipe when coturn flushes them: wait for the ones we caused (five
    // refused peers log a line each; loopback is refused before that check).
    await s.relay.turn.waitFor(/Cannot find credentials of user <\d+:sb-rl-test>/);
    await s.relay.turn.waitFor(/(?:[\s\S]*?A peer IP <address> denied){5}/);
    const out = s.relay.turn.output;
    // Every address coturn printed went through the unit's filter (relay/lib/turnserver-redacted).
    expect(out.split('\n').filter((l) => /\d+\.\d+\.\d+\.\d+/.test(l))).toEqual([]);
    // So neither client address (the co-parent's and the box's, as the relay sees them) is there.
    for (const client of [addresses.homePublic, addresses.clinicPublic]) expect(out).not.toContain(client);
    for (const secret of [...passwords, s.setup.secret]) expect(out.split('\n').filter((l) => l.includes(secret))).toEqual([]);
  });
});

if (missing.length > 0) {
  describe('relay: coturn through the NATs', () => {
    it.skip(`skipped: needs ${missing.join(', ')} (npm run setup installs .ci/apt-packages.d/relay.txt)`, () => {});
  });
}
