/**
 * The relay as its own recipe renders it (relay/sonobox-relay render), run in a topology's
 * "inet" namespace the way its systemd units would run it: each daemon's command line is
 * read from the rendered unit's ExecStart=, not written again here. What systemd would
 * add is reproduced minimally: sshd gets its privilege-separation directory (/run/sshd,
 * as RuntimeDirectory= makes it) and the tunnel account (`sonobox-tunnel`, which the
 * install step creates with useradd) through a private /etc/passwd bind-mounted in its
 * own mount namespace, so the host's accounts are never touched. coturn runs as root
 * here (its unit runs it as turnserver), nginx's workers as www-data as in production.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addresses, relayHostname, Topology, type Daemon } from '../support/topology.js';
import { makeTestCertificates, type TestCertificates } from '../support/test-ca.js';

const repo = new URL('../..', import.meta.url).pathname;
export const relayCommand = join(repo, 'relay/sonobox-relay');

export interface Box {
  readonly id: string;
  readonly port: number;
  /** The box's private key (0600) and public key files. */
  readonly key: string;
  readonly pub: string;
}

export interface RelaySetup {
  readonly dir: string;
  readonly config: string;
  /** Where `render` put everything. */
  readonly out: string;
  readonly certs: TestCertificates;
  readonly secret: string;
  readonly boxes: readonly Box[];
}

export function makeBoxKey(dir: string, id: string): { key: string; pub: string } {
  const key = join(dir, `${id}_ed25519`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `sonobox@${id}`, '-f', key], { timeout: 10_000, stdio: 'ignore' });
  return { key, pub: `${key}.pub` };
}

/** relay.conf text for these settings (the template's keys). */
export function relayConf(o: { certs: TestCertificates; secret: string; boxes: readonly Box[]; extra?: string }): string {
  return [
    `hostname = ${relayHostname}`,
    `public_ip = ${addresses.relay}`,
    `tls_certificate = ${o.certs.cert}`,
    `tls_key = ${o.certs.key}`,
    `turn_secret = ${o.secret}`,
    ...o.boxes.map((b) => `box = ${b.id} ${b.port} ${readFileSync(b.pub, 'utf8').trim()}`),
    o.extra ?? '',
  ].join('\n');
}

/** Runs relay/sonobox-relay with these arguments, bounded. */
export function relayCli(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(relayCommand, args, { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Certificates, two box keys, relay.conf (0600), then `sonobox-relay render`. */
export function setUpRelay(dir: string): RelaySetup {
  // sshd reads authorized_keys as the tunnel account: the path must be traversable (as /etc is).
  chmodSync(dir, 0o755);
  const certs = makeTestCertificates(dir, relayHostname);
  const secret = execFileSync('openssl', ['rand', '-hex', '32'], { encoding: 'utf8' }).trim();
  const boxes = (['room1', 'room2'] as const).map((id, i) => ({ id, port: 20001 + i, ...makeBoxKey(dir, id) }));
  const config = join(dir, 'relay.conf');
  writeFileSync(config, relayConf({ certs, secret, boxes }), { mode: 0o600 });
  const out = join(dir, 'out');
  const r = relayCli(['render', '--config', config, '--out', out]);
  if (r.status !== 0) throw new Error(`sonobox-relay render failed: ${r.stderr}`);
  return { dir, config, out, certs, secret, boxes };
}

/** The argv of a rendered unit's ExecStart= (our units use no quoting). */
export function execStart(unitFile: string, key = 'ExecStart'): string[] {
  const lines = readFileSync(unitFile, 'utf8').split('\n').filter((l) => l.startsWith(`${key}=`));
  if (lines.length === 0) throw new Error(`${unitFile} has no ${key}=`);
  return lines[0]!.slice(key.length + 1).split(' ');
}

/** TURN REST API credentials (draft-uberti-behave-turn-rest-00 §2.2), as a box mints them. */
export function turnRestCredential(secret: string, expiresAtS: number, label = 'sb-rl-test'): { username: string; password: string } {
  const username = `${expiresAtS}:${label}`;
  return { username, password: createHmac('sha1', secret).update(username).digest('base64') };
}

export interface RunningRelay {
  readonly nginx: Daemon;
  readonly turn: Daemon;
  readonly sshd: Daemon;
  stop(): Promise<void>;
}

let createdPrivsepDir = false;

/** Waits until a TCP port accepts in a namespace (bounded). */
export async function waitForTcp(topo: Topology, role: 'inet' | 'clinic' | 'home', host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await topo.exec(role, ['bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], { timeoutMs: 2_000 });
    if (r.status === 0) return;
    if (Date.now() > deadline) throw new Error(`nothing accepted on ${host}:${port} in ${role} within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Starts nginx, coturn and sshd from `out` in the topology's inet namespace. */
export async function startRelay(topo: Topology, out: string): Promise<RunningRelay> {
  const unit = (name: string): string => join(out, 'systemd', `sonobox-relay-${name}.service`);
  if (!existsSync('/run/sshd')) {
    mkdirSync('/run/sshd', { mode: 0o755 });
    createdPrivsepDir = true;
  }
  // The tunnel account, for sshd's eyes only (its own mount namespace).
  const passwd = join(out, 'test-passwd');
  const group = join(out, 'test-group');
  const uid = freeId(readFileSync('/etc/passwd', 'utf8'), readFileSync('/etc/group', 'utf8'));
  writeFileSync(passwd, `${readFileSync('/etc/passwd', 'utf8')}sonobox-tunnel:*:${uid}:${uid}:sonobox relay tunnel (test):/nonexistent:/usr/sbin/nologin\n`);
  writeFileSync(group, `${readFileSync('/etc/group', 'utf8')}sonobox-tunnel:x:${uid}:\n`);
  chmodSync(passwd, 0o644);
  chmodSync(group, 0o644);
  const sshdArgv = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
    'mount --bind "$0" /etc/passwd && mount --bind "$1" /etc/group && shift && exec "$@"', passwd, group, ...execStart(unit('sshd'))];

  const sshd = topo.spawn('inet', sshdArgv);
  const turn = topo.spawn('inet', execStart(unit('turn')));
  const nginx = topo.spawn('inet', execStart(unit('nginx')));
  const running: RunningRelay = {
    nginx, turn, sshd,
    async stop() {
      await Promise.all([nginx.stop(), turn.stop(), sshd.stop()]);
      if (createdPrivsepDir) {
        try { rmdirSync('/run/sshd'); } catch { /* in use again or not empty: leave it */ }
        createdPrivsepDir = false;
      }
    },
  };
  try {
    await sshd.waitFor(/Server listening on 127\.0\.0\.1 port 2222/);
    await turn.waitFor(/Total General servers/);
    await waitForTcp(topo, 'inet', addresses.relay, 3478);
    await waitForTcp(topo, 'inet', addresses.relay, 443);
  } catch (e) {
    await running.stop();
    throw e;
  }
  return running;
}

/** A uid/gid that neither /etc/passwd nor /etc/group uses (below nobody's 65534). */
function freeId(passwd: string, group: string): number {
  const used = new Set([...passwd.split('\n'), ...group.split('\n')].map((l) => Number(l.split(':')[2])));
  for (let id = 64_990; id > 60_000; id--) if (!used.has(id)) return id;
  throw new Error('no free uid between 60000 and 64990');
}

/** What a relay test needs on this machine; the missing ones, named. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces)');
  for (const tool of ['nginx', 'turnserver', 'turnutils_uclient', 'turnutils_peer', 'turnutils_stunclient', '/usr/sbin/sshd', 'ssh', 'curl', 'nft', 'unshare', 'openssl', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { timeout: 5_000 }).status !== 0) missing.push(tool);
  }
  if (!existsSync('/usr/lib/nginx/modules/ngx_stream_module.so')) missing.push('libnginx-mod-stream');
  return missing;
}

export interface Scenario {
  readonly setup: RelaySetup;
  readonly topo: Topology;
  readonly relay: RunningRelay;
  /** Records how long the step just finished took since the previous one (for the report). */
  lap(step: string): void;
  /** Stops and removes everything, then prints the steps' times and the total. */
  close(): Promise<void>;
}

/**
 * Renders the relay, builds the topology and starts the relay in it; close() undoes all
 * and prints `<label> timings (ms): {...}` (the figures the README's test table quotes).
 */
export async function relayScenario(prefix: string, label: string): Promise<Scenario> {
  const timings: Record<string, number> = {};
  const started = performance.now();
  let t = started;
  const lap = (step: string): void => {
    const now = performance.now();
    timings[step] = Math.round(now - t);
    t = now;
  };
  const dir = mkdtempSync(`/run/${prefix}-`);
  const topo = new Topology(prefix);
  let relay: RunningRelay | undefined;
  const close = async (): Promise<void> => {
    await relay?.stop();
    topo.teardown();
    rmSync(dir, { recursive: true, force: true });
    console.log(`${label} timings (ms): ${JSON.stringify({ ...timings, total: Math.round(performance.now() - started) })}`);
  };
  try {
    const setup = setUpRelay(dir);
    lap('certificates, keys and render');
    topo.build();
    lap('topology build');
    relay = await startRelay(topo, setup.out);
    lap('nginx, coturn and sshd up');
    return { setup, topo, relay, lap, close };
  } catch (e) {
    await close();
    throw e;
  }
}
