/**
 * relay/sonobox-relay render, without namespaces: a bad relay.conf stops it with the line
 * and what to write; a good one renders the same bytes every time (the host key is made
 * once and kept); the rendered units pass systemd-analyze verify; the files that matter
 * say what the README says they say. The daemons' own checks (nginx -t, sshd -t) and the
 * daemons running are in box-tunnel, viewer-https and turn.e2e.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemdVersion, verifyUnit } from '../../systemd/unit-check.js';
import { makeTestCertificates, type TestCertificates } from '../support/test-ca.js';
import { makeBoxKey, relayCli, relayConf, type Box } from './relay-under-test.js';

const work = mkdtempSync(join(tmpdir(), 'sb-rl-render-'));
let certs: TestCertificates;
let boxes: Box[];
const secret = 'a'.repeat(16) + '0123456789abcdef0123456789abcdef';

beforeAll(() => {
  certs = makeTestCertificates(work, 'relay.sonobox.test');
  boxes = ['room1', 'room2'].map((id, i) => ({ id, port: 20001 + i, ...makeBoxKey(work, id) }));
}, 30_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** Writes relay.conf (mode 0600 unless told) and renders it into a fresh directory. */
function render(text: string, mode = 0o600): ReturnType<typeof relayCli> & { out: string; config: string } {
  const config = join(work, `relay-${n}.conf`);
  const out = join(work, `out-${n++}`);
  writeFileSync(config, text, { mode });
  return { ...relayCli(['render', '--config', config, '--out', out]), out, config };
}
const good = (extra = ''): string => relayConf({ certs, secret, boxes, extra });

/** Every file under `dir` with its SHA-256, for comparing two renders. */
function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

describe('relay/sonobox-relay render: refusing a bad relay.conf', () => {
  const key1 = (): string => readFileSync(boxes[0]!.pub, 'utf8').trim();
  it.each([
    ['the template\'s placeholder secret', () => good().replace(`turn_secret = ${secret}`, 'turn_secret = REPLACE-WITH-THE-OUTPUT-OF-sonobox-relay-new-secret'), /:5: turn_secret is still the template's placeholder/],
    ['a short secret', () => good().replace(secret, 'short'), /:5: turn_secret must be 32 to 256 characters/],
    ['an unknown key', () => `${good()}\nturn_secrte = x\n`, /:\d+: unknown key 'turn_secrte'/],
    ['a key set twice', () => `${good()}\nhostname = other.example\n`, /'hostname' is set twice \(first on line 1\)/],
    ['a missing key', () => good().replace(/^public_ip = .*$/m, ''), /'public_ip' is missing/],
    ['a host name in capitals', () => good().replace('hostname = relay.sonobox.test', 'hostname = Relay.Sonobox.Test'), /:1: hostname 'Relay.Sonobox.Test' is not a DNS name in lower case/],
    ['an address that is not IPv4', () => good().replace(/^public_ip = .*$/m, 'public_ip = 203.0.113.300'), /public_ip '203.0.113.300' is not an IPv4 address/],
    ['two boxes on one tunnel port', () => `${good()}\nbox = room3 20001 ${readFileSync(makeBoxKey(work, `dup${n}`).pub, 'utf8').trim()}\n`, /tunnel port 20001 is already box room1's/],
    ['a tunnel port outside 20000-29999', () => good().replace('box = room1 20001', 'box = room1 2222'), /box room1: tunnel port '2222' must be a number from 20000 to 29999/],
    ['one key for two boxes', () => good().replace(`box = room2 20002 ${readFileSync(boxes[1]!.pub, 'utf8').trim()}`, `box = room2 20002 ${key1()}`), /box room2 has the same key as box room1/],
    ['sshd options smuggled before the key', () => good().replace(`box = room1 20001 ${key1()}`, `box = room1 20001 command="/bin/sh",${key1()}`), /box room1: expected an ssh-ed25519 or ecdsa-sha2-nistp256 public key/],
    ['a box id with a slash', () => good().replace('box = room1', 'box = ../x'), /box id '..\/x' must be 1-32 of a-z 0-9 -/],
    ['no box at all', () => good().replace(/^box = .*$/gm, ''), /no 'box = <id> <port> <public key>' line/],
    ['media ports over the box tunnels', () => good('turn_ports = 20000-30000'), /turn_ports '20000-30000' must be a range .* that leaves 20000-29999/],
    ['a certificate that is not there', () => good().replace(certs.cert, '/nonexistent/fullchain.pem'), /tls_certificate \/nonexistent\/fullchain.pem does not exist/],
  ])('refuses %s, naming the line and the fix', (_what, text, message) => {
    const r = render(text());
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
  });

  it('refuses a relay.conf others can read (it holds the TURN secret)', () => {
    const r = render(good(), 0o644);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/mode 644 lets other users read the TURN secret; run: chmod 600/);
  });

  it('reports every problem at once, not one per run', () => {
    const r = render(good().replace(secret, 'short').replace('box = room1 20001', 'box = room1 9'));
    expect(r.stderr.trim().split('\n')).toHaveLength(2);
  });

  it('refuses install where systemd is not running, pointing at render', () => {
    const r = relayCli(['install', '--config', join(work, 'relay-0.conf')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/run this as root|systemd is not running here; 'render --out DIR' renders the files without it/);
  });
});

describe('relay/sonobox-relay render: a good relay.conf', () => {
  let first: ReturnType<typeof render>;
  beforeAll(() => {
    first = render(good());
  });

  it('renders, and renders the same bytes again into the same directory (idempotent; the host key is kept)', () => {
    expect(first.status, first.stderr).toBe(0);
    const before = digest(first.out);
    const again = relayCli(['render', '--config', first.config, '--out', first.out]);
    expect(again.status, again.stderr).toBe(0);
    expect(digest(first.out)).toEqual(before);
  });

  it('gives each box its one forward in authorized_keys, and nothing else', () => {
    const lines = readFileSync(join(first.out, 'authorized_keys'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual(boxes.map((b) => {
      const [type, blob] = readFileSync(b.pub, 'utf8').split(' ');
      return `restrict,port-forwarding,permitlisten="127.0.0.1:${b.port}",command="/bin/false" ${type} ${blob} sonobox-box-${b.id}`;
    }));
  });

  it('writes each box\'s boot-partition files: tunnel.env and the pinned host key', () => {
    const env = readFileSync(join(first.out, 'boxes/room2/tunnel.env'), 'utf8');
    expect(env).toMatch(/^RELAY_HOST=relay\.sonobox\.test\nRELAY_PORT=443\nBOX_ID=room2\nTUNNEL_PORT=20002$/m);
    const hostKey = readFileSync(join(first.out, 'ssh_host_ed25519_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    expect(readFileSync(join(first.out, 'boxes/room2/known_hosts'), 'utf8')).toBe(`sonobox-relay ${hostKey}\n`);
  });

  it('keeps the TURN secret in turnserver.conf only, readable by its owner only', () => {
    expect(statSync(join(first.out, 'turnserver.conf')).mode & 0o777).toBe(0o600);
    const holders = Object.keys(digest(first.out)).filter((f) => readFileSync(join(first.out, f), 'utf8').includes(secret));
    expect(holders).toEqual(['turnserver.conf']);
  });

  it('denies every private peer range, and no range coturn would read as "everything"', () => {
    const denied = readFileSync(join(first.out, 'turnserver.conf'), 'utf8').split('\n').filter((l) => l.startsWith('denied-peer-ip=')).map((l) => l.slice(15));
    for (const range of ['10.0.0.0-10.255.255.255', '172.16.0.0-172.31.255.255', '192.168.0.0-192.168.255.255', '127.0.0.0-127.255.255.255', '169.254.0.0-169.254.255.255', '100.64.0.0-100.127.255.255', '::1', 'fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::ffff:0.0.0.0-::ffff:255.255.255.255']) {
      expect(denied).toContain(range);
    }
    // coturn treats a range starting at "::" as starting anywhere (see denied-peer-ranges.txt).
    expect(denied.filter((r) => r === '::' || r.startsWith('::-'))).toEqual([]);
  });

  it.skipIf(systemdVersion() === undefined)('renders relay units that pass systemd-analyze verify', () => {
    for (const unit of units) expect(verifyUnit(join(first.out, 'systemd', unit)), unit).toEqual([]);
  });
});

const units = ['sonobox-relay.target', 'sonobox-relay-nginx.service', 'sonobox-relay-turn.service', 'sonobox-relay-sshd.service'];

describe('relay/sonobox-relay render --installed: the files as install writes them', () => {
  let r: ReturnType<typeof render>;
  const file = (name: string): string => readFileSync(join(r.out, name), 'utf8');
  beforeAll(() => {
    const config = join(work, 'relay-installed.conf');
    writeFileSync(config, good(), { mode: 0o600 });
    r = { ...relayCli(['render', '--installed', '--config', config, '--out', join(work, 'installed')]), out: join(work, 'installed'), config };
  });

  it('name only the installed places, never the directory they were rendered into', () => {
    expect(r.status, r.stderr).toBe(0);
    for (const f of Object.keys(digest(r.out))) expect(readFileSync(join(r.out, f), 'utf8'), f).not.toContain(r.out);
  });

  it.each([
    ['nginx.conf', /^pid \/run\/sonobox-relay-nginx\/nginx\.pid;$/m],
    ['nginx.conf', /^error_log syslog:server=unix:\/dev\/log,tag=sonobox_relay,nohostname warn;$/m],
    ['nginx.conf', /^    access_log syslog:server=unix:\/dev\/log,tag=sonobox_relay,nohostname sonobox_relay;$/m],
    ['nginx.conf', /^\s+include \/etc\/sonobox-relay\/nginx-boxes\.conf;$/m],
    ['turnserver.conf', /^pidfile=\/run\/sonobox-relay-turn\/turnserver\.pid$/m],
    ['sshd_config', /^AuthorizedKeysFile \/etc\/sonobox-relay\/authorized_keys$/m],
    ['sshd_config', /^ChrootDirectory \/etc\/sonobox-relay\/empty$/m],
    ['systemd/sonobox-relay-nginx.service', /^ExecStart=\/usr\/sbin\/nginx -e stderr -c \/etc\/sonobox-relay\/nginx\.conf$/m],
    ['systemd/sonobox-relay-turn.service', /^ExecStart=\/usr\/local\/lib\/sonobox-relay\/turnserver-redacted -c \/etc\/sonobox-relay\/turnserver\.conf$/m],
    ['systemd/sonobox-relay-turn.service', /^RuntimeDirectory=sonobox-relay-turn$/m],
    ['systemd/sonobox-relay-sshd.service', /^ExecStart=\/usr\/sbin\/sshd -D -e -f \/etc\/sonobox-relay\/sshd_config$/m],
  ])('%s has %s', (name, pattern) => {
    expect(file(name)).toMatch(pattern);
  });

  // The turn unit's ExecStart, /usr/local/lib/sonobox-relay/turnserver-redacted, exists only
  // once installed (verify would say so); the rendered-here copy of that unit is verified above.
  it.skipIf(systemdVersion() === undefined)('and their units pass systemd-analyze verify', () => {
    for (const unit of units.filter((u) => u !== 'sonobox-relay-turn.service')) expect(verifyUnit(join(r.out, 'systemd', unit)), unit).toEqual([]);
  });

  it('turning the access log off leaves no access_log line but "off"', () => {
    const off = render(good('access_log = off'));
    expect(off.status, off.stderr).toBe(0);
    const lines = readFileSync(join(off.out, 'nginx.conf'), 'utf8').match(/^\s*access_log .*$/gm)?.map((l) => l.trim()) ?? [];
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(new Set(lines)).toEqual(new Set(['access_log off;']));
  });
});

const shellcheck = spawnSync('shellcheck', ['--version'], { timeout: 10_000 }).status === 0;
describe.skipIf(!shellcheck)('relay/ scripts', () => {
  it('pass shellcheck (run from relay/, where the sourced lib/ files resolve)', () => {
    const relayDir = new URL('../../relay/', import.meta.url).pathname;
    const r = spawnSync('shellcheck', ['-x', 'sonobox-relay', 'lib/config.sh', 'lib/render.sh', 'lib/install.sh'], { cwd: relayDir, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout, r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
if (!shellcheck) {
  describe('relay/ scripts', () => {
    it.skip('skipped: shellcheck not installed (npm run setup installs .ci/apt-packages.d/relay.txt)', () => {});
  });
}
