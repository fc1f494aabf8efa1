/**
 * A small Internet in network namespaces, for remote-viewing tests (issue 13):
 *
 *   clinic (the box)        crtr (clinic NAT)            inet ("the Internet",       hrtr (home NAT)       home (the co-parent)
 *   192.168.50.10/24 ─ eth0 ─ lan  wan ─ 198.51.100.2/28 ─ clinic  the relay host)  home ─ 198.51.100.18/28 ─ wan  lan ─ eth0 ─ 192.168.1.10/24
 *                              only outbound TCP            203.0.113.10 relay        drops all UDP
 *                                                           203.0.113.20 a peer
 *                                                           10.99.0.1 its private side
 *
 * The "Internet" uses documentation ranges (RFC 5737: 198.51.100.0/24, 203.0.113.0/24),
 * never private ones, so a relay's refusal of private peers means something. The LANs
 * behind the two NATs are private, as real ones are. Every namespace is named
 * `<prefix>-<role>`; interfaces live only inside them (none in the host's namespace), so
 * no address outside these namespaces is ever a target. `relay.sonobox.test` resolves to
 * the relay in clinic, inet and home (ip-netns(8): /etc/netns/<name>/hosts), and they have
 * no DNS server (resolv.conf: loopback, where nothing answers).
 *
 * build() cleans up leftovers of an earlier run with the same prefix first, and tears down
 * what it made if any step fails; teardown() kills what was spawned in the namespaces and
 * deletes them. Every command has a time limit.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';

/** The roles, in the order they are built. */
export const roles = ['clinic', 'crtr', 'inet', 'hrtr', 'home'] as const;
export type Role = (typeof roles)[number];

/** Addresses of the topology (see the picture above). */
export const addresses = {
  box: '192.168.50.10',
  clinicGateway: '192.168.50.1',
  clinicPublic: '198.51.100.2',
  homePublic: '198.51.100.18',
  home: '192.168.1.10',
  homeGateway: '192.168.1.1',
  relay: '203.0.113.10',
  internetPeer: '203.0.113.20',
  relayPrivate: '10.99.0.1',
} as const;

export const relayHostname = 'relay.sonobox.test';

const CMD_TIMEOUT_MS = 10_000;

export interface ExecResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `ip ...` (or another setup command) synchronously, bounded; throws with stderr. */
function run(argv: readonly string[], input?: string): string {
  try {
    return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: CMD_TIMEOUT_MS, input, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`topology: \`${argv.join(' ')}\` failed: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

/** nftables for a NAT router: masquerade out of `wan`, forward only what `allow` says. */
function natRuleset(allow: string): string {
  return `table inet sbnat {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ${allow}
  }
  chain postrouting {
    type nat hook postrouting priority srcnat;
    oifname "wan" masquerade
  }
}
`;
}

/** Clinic: only connections the LAN starts, only TCP (no UDP at all, hence no ICE over UDP). */
const clinicNat = natRuleset(`ct state established,related accept
    iifname "lan" oifname "wan" meta l4proto tcp ct state new accept`);
/** Home: like a hotel or hospital guest Wi-Fi that blocks UDP, both ways. */
const homeNat = natRuleset(`meta l4proto udp drop
    ct state established,related accept
    iifname "lan" oifname "wan" meta l4proto tcp ct state new accept`);

export class Topology {
  private readonly children = new Set<ChildProcess>();
  private built = false;

  constructor(readonly prefix: string) {
    if (!/^[a-z0-9-]{2,12}$/.test(prefix)) throw new Error(`topology: prefix '${prefix}' must be 2-12 of a-z 0-9 -`);
  }

  /** The namespace name of a role. */
  ns(role: Role): string {
    return `${this.prefix}-${role}`;
  }

  /** argv that runs `argv` inside a role's namespace. */
  argv(role: Role, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.ns(role), ...argv];
  }

  /** Builds every namespace, link, address, route, NAT and hosts file. */
  build(): this {
    this.removeLeftovers();
    this.built = true;
    try {
      for (const r of roles) run(['ip', 'netns', 'add', this.ns(r)]);
      for (const r of roles) run(['ip', '-n', this.ns(r), 'link', 'set', 'lo', 'up']);
      this.link('clinic', 'eth0', 'crtr', 'lan');
      this.link('crtr', 'wan', 'inet', 'clinic');
      this.link('hrtr', 'wan', 'inet', 'home');
      this.link('home', 'eth0', 'hrtr', 'lan');
      this.address('clinic', 'eth0', `${addresses.box}/24`);
      this.address('crtr', 'lan', `${addresses.clinicGateway}/24`);
      this.address('crtr', 'wan', `${addresses.clinicPublic}/28`);
      this.address('inet', 'clinic', '198.51.100.1/28');
      this.address('inet', 'home', '198.51.100.17/28');
      this.address('hrtr', 'wan', `${addresses.homePublic}/28`);
      this.address('hrtr', 'lan', `${addresses.homeGateway}/24`);
      this.address('home', 'eth0', `${addresses.home}/24`);
      for (const a of [addresses.relay, addresses.internetPeer, addresses.relayPrivate]) this.address('inet', 'lo', `${a}/32`);
      run(['ip', '-n', this.ns('clinic'), 'route', 'add', 'default', 'via', addresses.clinicGateway]);
      run(['ip', '-n', this.ns('crtr'), 'route', 'add', 'default', 'via', '198.51.100.1']);
      run(['ip', '-n', this.ns('hrtr'), 'route', 'add', 'default', 'via', '198.51.100.17']);
      run(['ip', '-n', this.ns('home'), 'route', 'add', 'default', 'via', addresses.homeGateway]);
      for (const r of ['crtr', 'inet', 'hrtr'] as const) run(this.argv(r, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']));
      run(this.argv('crtr', ['nft', '-f', '-']), clinicNat);
      run(this.argv('hrtr', ['nft', '-f', '-']), homeNat);
      for (const r of ['clinic', 'inet', 'home'] as const) {
        mkdirSync(`/etc/netns/${this.ns(r)}`, { recursive: true });
        writeFileSync(`/etc/netns/${this.ns(r)}/hosts`, `127.0.0.1 localhost\n${addresses.relay} ${relayHostname}\n`);
        // No DNS server: a look-up that gets past the hosts file fails at once on loopback
        // instead of sending queries towards the host's resolver (measured: Chromium's
        // TURN client waited 13 s for them before using the hosts entry).
        writeFileSync(`/etc/netns/${this.ns(r)}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
      }
    } catch (e) {
      this.teardown();
      throw e;
    }
    return this;
  }

  private link(a: Role, aName: string, b: Role, bName: string): void {
    run(['ip', 'link', 'add', aName, 'netns', this.ns(a), 'type', 'veth', 'peer', 'name', bName, 'netns', this.ns(b)]);
    run(['ip', '-n', this.ns(a), 'link', 'set', aName, 'up']);
    run(['ip', '-n', this.ns(b), 'link', 'set', bName, 'up']);
  }

  private address(role: Role, dev: string, cidr: string): void {
    run(['ip', '-n', this.ns(role), 'addr', 'add', cidr, 'dev', dev]);
  }

  /** Runs a command in a role's namespace to completion, bounded (default 10 s). */
  exec(role: Role, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const full = this.argv(role, argv);
    return new Promise((resolve) => {
      const child = execFile(full[0]!, full.slice(1), { encoding: 'utf8', timeout: opts.timeoutMs ?? CMD_TIMEOUT_MS, killSignal: 'SIGKILL', env: opts.env ?? process.env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        const status = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
        resolve({ status, stdout, stderr });
      });
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }

  /**
   * Starts a long-running command in a role's namespace; teardown() kills it. Its output
   * is collected (stdout and stderr together) for the test to read.
   */
  spawn(role: Role, argv: readonly string[], env?: NodeJS.ProcessEnv): Daemon {
    const full = this.argv(role, argv);
    const child = spawn(full[0]!, full.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return new Daemon(child, argv.join(' '));
  }

  /** Kills what was spawned, then every process left in our namespaces; deletes them. */
  teardown(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
    if (this.built) this.removeNamespaces(roles.map((r) => this.ns(r)));
    this.built = false;
  }

  private removeLeftovers(): void {
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: CMD_TIMEOUT_MS }).stdout ?? '';
    const ours = list.split('\n').map((l) => l.split(' ')[0]!).filter((n) => roles.some((r) => n === `${this.prefix}-${r}`));
    this.removeNamespaces(ours);
  }

  private removeNamespaces(names: readonly string[]): void {
    for (const name of names) {
      const pids = (spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8', timeout: CMD_TIMEOUT_MS }).stdout ?? '').split('\n').filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      spawnSync('ip', ['netns', 'del', name], { timeout: CMD_TIMEOUT_MS });
      rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
    }
  }
}

/** A process started in a namespace, with its output so far. */
export class Daemon {
  private out = '';
  private readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess, readonly what: string) {
    child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  /** Everything it printed so far (stdout and stderr interleaved). */
  get output(): string {
    return this.out;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until its output matches, or throws after `timeoutMs` (or if it exits first). */
  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.out);
      if (m) return m;
      if (!this.running) throw new Error(`${this.what} exited before printing ${pattern}; it printed:\n${this.out.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${this.what} to print ${pattern}; it printed:\n${this.out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Resolves with its exit code, or undefined if it is still running after `timeoutMs`. */
  async exit(timeoutMs = 10_000): Promise<number | null | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)));
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM, then SIGKILL if it has not gone within `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    if ((await this.exit(graceMs)) === undefined) {
      this.child.kill('SIGKILL');
      await this.exit(graceMs);
    }
  }
}
