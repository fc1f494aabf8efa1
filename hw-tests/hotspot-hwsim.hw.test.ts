/**
 * The box hotspot on real kernel radios: mac80211_hwsim gives virtual 802.11 radios
 * driven by the real mac80211 stack, so the generated hostapd.conf and dnsmasq.conf run
 * unmodified. The box side (Hotspot, real hostapd + dnsmasq + ip) owns wlan0; each "phone"
 * is a wpa_supplicant on another radio moved into its own network namespace, so its
 * traffic really crosses the (virtual) air. Checks: a phone with the session passphrase
 * associates (hostapd AP-STA-CONNECTED is seen by the Hotspot) and gets a 10.42.0.x lease;
 * client isolation stops phone-to-phone traffic while both reach the box; a wrong
 * passphrase never associates. Then the same with the service's privileges (sonobox.service):
 * a non-root process holding only CAP_NET_ADMIN, CAP_NET_RAW and CAP_NET_BIND_SERVICE as
 * ambient capabilities, NoNewPrivileges, and a 0700 runtime directory it owns, runs the real
 * Hotspot (real generated configs) and a phone joins and gets a lease; and hostapd under
 * those privileges fails with ctrl_interface_group=0 in the config and starts without it.
 *
 * Emulated: bash hw-tests/emulated/run.sh -- npx vitest run --config hw-tests/vitest.hw.config.ts hw-tests/hotspot-hwsim.hw.test.ts
 * Needs root, the mac80211_hwsim module, and hostapd, dnsmasq, iw, wpasupplicant, iproute2
 * on the (host) root; otherwise every case says "skipped: <reason>".
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostapdConfig } from '../appliance/src/network/hostapd-config.js';
import { Hotspot } from '../appliance/src/network/hotspot.js';
import { generatePassphrase } from '../appliance/src/network/wifi-passphrase.js';

/** Calls `onLine` for each stdout line of `child`. */
function createLineReader(child: ChildProcess, onLine: (line: string) => void): void {
  createInterface({ input: child.stdout! }).on('line', (l) => l.trim() && onLine(l));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const have = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined;
function why(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const [cmd, args] of [['hostapd', ['-v']], ['dnsmasq', ['--version']], ['iw', ['--version']], ['wpa_supplicant', ['-v']], ['ip', ['-V']], ['busybox', ['true']]] as const) {
    if (!have(cmd, [...args])) return `${cmd} is not installed (see .ci/apt-packages.d/network.txt)`;
  }
  if (!existsSync('/sys/module/mac80211_hwsim') && spawnSync('modprobe', ['mac80211_hwsim', 'radios=3'], { stdio: 'ignore' }).status !== 0) {
    return 'cannot load mac80211_hwsim (run inside hw-tests/emulated/run.sh, or a kernel with the module)';
  }
  // The guest's kernel cannot autoload modules (its modprobe path is the initramfs's, not
  // this chroot's): load the ciphers mac80211 asks for by hand: CCMP is ccm(aes), 802.11w's
  // BIP is cmac(aes); without cmac hostapd fails with "key addition failed".
  spawnSync('modprobe', ['-a', 'ccm', 'cmac', 'ctr', 'gcm'], { stdio: 'ignore' });
  return undefined;
}
const skipReason = why();
if (skipReason) console.warn(`hotspot-hwsim: skipped: ${skipReason}`);

/** Wi-Fi interfaces (in the guest: only hwsim's), sorted: the first is the box, the others are phones. */
function hwsimInterfaces(): string[] {
  return readdirSync('/sys/class/net')
    .filter((n) => existsSync(`/sys/class/net/${n}/phy80211`))
    .sort();
}

const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8' });

/** The service user's stand-in: nobody (the image's sonobox user does not exist on this host). */
const SERVICE_UID = 65534;
const SERVICE_GID = 65534;
/** CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_NET_RAW (13), as /proc/<pid>/status prints them. */
const SERVICE_CAPS_HEX = (2 ** 10 + 2 ** 12 + 2 ** 13).toString(16).padStart(16, '0');
/** sonobox.service's identity and capabilities: User= (non-root), AmbientCapabilities=, NoNewPrivileges=yes. */
const SETPRIV = [
  `--reuid=${SERVICE_UID}`,
  `--regid=${SERVICE_GID}`,
  '--clear-groups',
  '--inh-caps=-all,+net_admin,+net_raw,+net_bind_service',
  '--ambient-caps=+net_admin,+net_raw,+net_bind_service',
  '--bounding-set=-all,+net_admin,+net_raw,+net_bind_service',
  '--no-new-privs',
];
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** A directory like systemd's RuntimeDirectory=sonobox with RuntimeDirectoryMode=0700: tmpfs, owned by the service user. */
function serviceRuntimeDir(): string {
  const dir = mkdtempSync('/run/sonobox-svc-');
  chownSync(dir, SERVICE_UID, SERVICE_GID);
  chmodSync(dir, 0o700);
  return dir;
}

/**
 * Runs the real Hotspot as the service user: prints one JSON line per event on stdout
 * ({"up": …} once ready or {"error": …}, {"stations": n} on changes); closes on SIGTERM.
 * The passphrase crosses only this pipe to the test, never a file or a log.
 */
const SERVICE_SCRIPT = `
import { readFileSync } from 'node:fs';
const { Hotspot } = await import(${JSON.stringify(join(REPO, 'appliance/src/network/hotspot.ts'))});
const [iface, runtimeDir] = process.argv.slice(2);
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
const status = readFileSync('/proc/self/status', 'utf8');
const field = (k) => status.split('\\n').find((l) => l.startsWith(k + ':'))?.split(':')[1]?.trim();
const hotspot = new Hotspot({
  settings: { interface: iface, ssid: 'sonobox-hw', channel: 6, countryCode: 'DE' },
  runtimeDir, maxStations: 3, enableTimeoutMs: 60000,
  log: { info: (m) => process.stderr.write('info: ' + m + '\\n'), warn: (m) => process.stderr.write('warn: ' + m + '\\n') },
});
hotspot.onChange(() => say({ stations: hotspot.stations, state: hotspot.state }));
process.on('SIGTERM', () => void hotspot.close().then(() => process.exit(0)));
try {
  const { session, ready } = hotspot.open();
  await ready;
  say({ up: true, passphrase: session.passphrase, gateway: session.gateway, uid: process.getuid(), capEff: field('CapEff'), capAmb: field('CapAmb'), noNewPrivs: field('NoNewPrivs') });
} catch (e) {
  say({ error: String(e) });
}
`;

/** Effective UID and CapEff of every running process named `name`. */
function processes(name: string): Array<{ uid: number; capEff: string }> {
  const out: Array<{ uid: number; capEff: string }> = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue;
    }
    if (/^Name:\s*(\S+)/m.exec(status)?.[1] !== name) continue;
    out.push({ uid: Number(/^Uid:\s*\d+\s+(\d+)/m.exec(status)?.[1]), capEff: /^CapEff:\s*(\S+)/m.exec(status)?.[1] ?? '' });
  }
  return out;
}

describe.skipIf(skipReason !== undefined)(`hotspot on mac80211_hwsim radios${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let box = '';
  let phones: Array<{ ns: string; ifname: string }> = [];
  let hotspot: Hotspot;
  let runtimeDir = '';
  const children: ChildProcess[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    // The radios' netdevs appear shortly after modprobe returns.
    await until('three hwsim wlan interfaces', () => hwsimInterfaces().length >= 3, 15_000).catch(() => undefined);
    const ifs = hwsimInterfaces();
    expect(ifs.length, 'mac80211_hwsim radios=3 gives three wlan interfaces').toBeGreaterThanOrEqual(3);
    box = ifs[0]!;
    phones = ifs.slice(1, 3).map((ifname, i) => {
      const ns = `sbphone${i}`;
      const phy = readFileSync(`/sys/class/net/${ifname}/phy80211/name`, 'utf8').trim();
      run('ip', ['netns', 'add', ns]);
      run('iw', ['phy', phy, 'set', 'netns', 'name', ns]);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      return { ns, ifname };
    });
    runtimeDir = mkdtempSync('/run/sonobox-hw-');
    hotspot = new Hotspot({
      settings: { interface: box, ssid: 'sonobox-hw', channel: 6, countryCode: 'DE' },
      runtimeDir,
      maxStations: 3,
      enableTimeoutMs: 60_000,
      log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) },
    });
  });

  afterAll(async () => {
    await leaveAll();
    await hotspot?.close();
    for (const p of phones) spawnSync('ip', ['netns', 'del', p.ns]);
    if (runtimeDir) rmSync(runtimeDir, { recursive: true, force: true });
  });

  /** SIGTERMs a phone's wpa_supplicant and waits until it has exited (it deauthenticates on the way out). */
  async function leave(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(force);
  }

  /**
   * Stops every phone still running. Each case starts from radios no supplicant holds: a
   * case that fails midway must not leave its wpa_supplicant on an interface the next case
   * starts another one on (the second never gets to talk to the AP).
   */
  async function leaveAll(): Promise<void> {
    await Promise.all(children.splice(0).map(leave));
  }

  /** The open session, opening the hotspot if an earlier case failed before doing so. */
  async function openSession(): Promise<{ passphrase: string; gateway: string }> {
    if (hotspot.state === 'up' && hotspot.session) return hotspot.session;
    if (hotspot.state !== 'closed') await hotspot.close();
    const { session, ready } = hotspot.open();
    await ready;
    return session;
  }

  /** Starts wpa_supplicant for a phone; returns its collected stdout. */
  function joinPhone(phone: { ns: string; ifname: string }, passphrase: string): { out: () => string; child: ChildProcess } {
    const conf = join(runtimeDir, `${phone.ns}.conf`);
    writeFileSync(conf, `network={\n  ssid="sonobox-hw"\n  psk="${passphrase}"\n  key_mgmt=WPA-PSK\n  proto=RSN\n  pairwise=CCMP\n  ieee80211w=1\n}\n`, { mode: 0o600 });
    const child = spawn('ip', ['netns', 'exec', phone.ns, 'wpa_supplicant', '-D', 'nl80211', '-i', phone.ifname, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    return { out: () => out, child };
  }

  function dhcp(phone: { ns: string; ifname: string }): string {
    const r = spawnSync('ip', ['netns', 'exec', phone.ns, 'busybox', 'udhcpc', '-i', phone.ifname, '-n', '-q', '-t', '10', '-T', '2', '-s', '/bin/true'], { encoding: 'utf8', timeout: 60_000 });
    const m = /lease of (10\.42\.0\.\d+) obtained/.exec(r.stdout + r.stderr);
    expect(m, `udhcpc said: ${r.stdout}${r.stderr}`).not.toBeNull();
    const address = m![1]!;
    run('ip', ['-n', phone.ns, 'addr', 'add', `${address}/24`, 'dev', phone.ifname]);
    return address;
  }

  const ping = (phone: { ns: string }, address: string): boolean =>
    spawnSync('ip', ['netns', 'exec', phone.ns, 'busybox', 'ping', '-c', '2', '-W', '2', address], { stdio: 'ignore', timeout: 20_000 }).status === 0;

  it('the right passphrase associates and gets a DHCP lease; isolation stops phone-to-phone traffic', async () => {
    const { session, ready } = hotspot.open();
    await ready;
    expect(hotspot.state).toBe('up');
    expect(run('iw', ['dev', box, 'info'])).toMatch(/type AP/);
    // The passphrase is in no file once hostapd and dnsmasq have started.
    expect(readdirSync(hotspot.directory).filter((f) => f.endsWith('.conf'))).toEqual([]);

    const a = joinPhone(phones[0]!, session.passphrase);
    await until('phone A to associate (AP-STA-CONNECTED)', () => hotspot.stations === 1, 60_000);
    // Both ends, each in its own time: hostapd says AP-STA-CONNECTED when 4-way handshake
    // message 4 arrives; wpa_supplicant says CTRL-EVENT-CONNECTED only after it has sent
    // message 4 and installed its keys (netlink round trips, slow under TCG), so under load
    // the box's event often comes first.
    await until('phone A to report CTRL-EVENT-CONNECTED', () => /CTRL-EVENT-CONNECTED/.test(a.out()), 30_000).catch((e: unknown) => {
      throw new Error(`${String(e)}; wpa_supplicant said: ${a.out()}`);
    });
    const addrA = dhcp(phones[0]!);

    const b = joinPhone(phones[1]!, session.passphrase);
    await until('phone B to associate', () => hotspot.stations === 2, 60_000);
    const addrB = dhcp(phones[1]!);
    expect(addrB).not.toBe(addrA);

    expect(ping(phones[0]!, session.gateway), 'phone A reaches the box at 10.42.0.1').toBe(true);
    expect(ping(phones[1]!, session.gateway), 'phone B reaches the box').toBe(true);
    expect(ping(phones[0]!, addrB), 'ap_isolate=1: phone A cannot reach phone B').toBe(false);

    await leaveAll();
    await until('both phones to leave (AP-STA-DISCONNECTED)', () => hotspot.stations === 0, 30_000);
    for (const l of logs) expect(l).not.toContain(session.passphrase);
  }, 300_000);

  it('a wrong passphrase never associates', async () => {
    await leaveAll();
    const session = await openSession();
    let most = hotspot.stations;
    const off = hotspot.onChange(() => (most = Math.max(most, hotspot.stations)));
    try {
      const wrong = joinPhone(phones[0]!, session.passphrase.slice(0, -1) + (session.passphrase.endsWith('a') ? 'b' : 'a'));
      // The AP drops a MIC-failing message 2 and gives up after its message-1 retries; the
      // phone then says "4-Way Handshake failed - pre-shared key may be incorrect" and
      // CTRL-EVENT-SSID-TEMP-DISABLED ... reason=WRONG_KEY (about 8 s under TCG).
      const gaveUp = /WRONG_KEY|4-Way Handshake failed|CTRL-EVENT-SSID-TEMP-DISABLED/;
      await until('wpa_supplicant to give up on the key', () => gaveUp.test(wrong.out()), 20_000).catch((e: unknown) => {
        throw new Error(`${String(e)}; wpa_supplicant said: ${wrong.out()}`);
      });
      expect(wrong.out()).not.toMatch(/CTRL-EVENT-CONNECTED/);
      expect(most, 'hostapd never counted the wrong-key phone as a station').toBe(0);
    } finally {
      off();
      await leaveAll();
    }
  }, 60_000);

  it('closing the session stops the AP and removes its directory', async () => {
    await hotspot.close();
    expect(existsSync(hotspot.directory)).toBe(false);
    expect(run('iw', ['dev', box, 'info'])).not.toMatch(/type AP/);
  }, 60_000);

  describe('with the service\'s privileges (non-root, ambient NET_ADMIN/NET_RAW/NET_BIND_SERVICE, no new privileges)', () => {
    let svcDir = '';
    let scriptDir = '';
    beforeAll(async () => {
      await leaveAll();
      await hotspot.close();
      svcDir = serviceRuntimeDir();
      // The script itself lives in a root-owned, world-readable directory: the service user reads it, cannot change it.
      scriptDir = mkdtempSync('/run/sonobox-script-');
      chmodSync(scriptDir, 0o755);
      writeFileSync(join(scriptDir, 'service.mjs'), SERVICE_SCRIPT, { mode: 0o644 });
    });
    afterAll(() => {
      if (svcDir) rmSync(svcDir, { recursive: true, force: true });
      if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
    });

    it('the real Hotspot, run as the service user, comes up; a phone associates and gets a DHCP lease', async () => {
      const service = spawn('setpriv', [...SETPRIV, process.execPath, '--import', 'tsx', join(scriptDir, 'service.mjs'), box, svcDir], {
        cwd: REPO,
        env: { ...process.env, TSX_DISABLE_CACHE: '1', HOME: '/nonexistent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const events: Array<Record<string, unknown>> = [];
      let stderr = '';
      createLineReader(service, (line) => {
        try {
          events.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          stderr += `stdout: ${line}\n`;
        }
      });
      service.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<void>((r) => service.once('exit', () => r()));
      try {
        await until('the service-user Hotspot to report up or error', () => events.some((e) => 'up' in e || 'error' in e) || service.exitCode !== null, 90_000).catch((e: unknown) => {
          throw new Error(`${String(e)}; it said: ${stderr}`);
        });
        const result = events.find((e) => 'up' in e || 'error' in e);
        expect(result?.['error'], `Hotspot as uid ${SERVICE_UID} failed; stderr: ${stderr}`).toBeUndefined();
        expect(result).toMatchObject({ up: true, uid: SERVICE_UID, capEff: SERVICE_CAPS_HEX, capAmb: SERVICE_CAPS_HEX, noNewPrivs: '1' });
        expect(run('iw', ['dev', box, 'info'])).toMatch(/type AP/);
        // hostapd and dnsmasq themselves run as the service user with exactly the three capabilities.
        for (const name of ['hostapd', 'dnsmasq']) {
          expect(processes(name), `${name} processes`).toEqual([{ uid: SERVICE_UID, capEff: SERVICE_CAPS_HEX }]);
        }
        const passphrase = String(result!['passphrase']);
        const gateway = String(result!['gateway']);
        const phone = joinPhone(phones[0]!, passphrase);
        await until('the phone to associate (AP-STA-CONNECTED seen by the service-user Hotspot)', () => events.some((e) => e['stations'] === 1), 60_000);
        await until('the phone to report CTRL-EVENT-CONNECTED', () => /CTRL-EVENT-CONNECTED/.test(phone.out()), 30_000).catch((e: unknown) => {
          throw new Error(`${String(e)}; wpa_supplicant said: ${phone.out()}`);
        });
        const address = dhcp(phones[0]!);
        expect(address).toMatch(/^10\.42\.0\.\d+$/);
        expect(ping(phones[0]!, gateway), 'the phone reaches the box').toBe(true);
        expect(stderr).not.toContain(passphrase);
      } finally {
        await leaveAll();
        if (service.exitCode === null) service.kill('SIGTERM');
        const force = setTimeout(() => service.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(force);
        spawnSync('ip', ['-n', phones[0]!.ns, 'addr', 'flush', 'dev', phones[0]!.ifname]);
      }
      expect(existsSync(join(svcDir, 'hotspot')), 'the session directory is gone after close').toBe(false);
    }, 240_000);

    /** Runs hostapd as the service user on one generated config; resolves with its output once it is enabled or has exited. */
    async function hostapdAsService(extra: string): Promise<{ enabled: boolean; exitCode: number | null; out: string }> {
      const dir = join(svcDir, `direct-${extra ? 'group' : 'plain'}`);
      run('setpriv', [...SETPRIV, 'mkdir', '-m', '700', dir]);
      const conf = hostapdConfig({ interface: box, ssid: 'sonobox-hw', channel: 6, countryCode: 'DE', passphrase: generatePassphrase(), ctrlInterfaceDir: join(dir, 'ctrl'), maxStations: 3 }) + extra;
      writeFileSync(join(dir, 'hostapd.conf'), conf, { mode: 0o600 });
      chownSync(join(dir, 'hostapd.conf'), SERVICE_UID, SERVICE_GID);
      const child = spawn('setpriv', [...SETPRIV, 'hostapd', join(dir, 'hostapd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        await until('hostapd to enable the AP or exit', () => /AP-ENABLED/.test(out) || child.exitCode !== null, 60_000);
        return { enabled: /AP-ENABLED/.test(out), exitCode: child.exitCode, out };
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(force);
        rmSync(dir, { recursive: true, force: true });
      }
    }

    it('the cause: hostapd as the service user fails with ctrl_interface_group=0 and starts with the generated config', async () => {
      const withGroup = await hostapdAsService('ctrl_interface_group=0\n');
      expect(withGroup.enabled, `with ctrl_interface_group=0 hostapd said: ${withGroup.out}`).toBe(false);
      expect(withGroup.exitCode).not.toBe(0);
      expect(withGroup.out).toMatch(/lchown\[ctrl_interface\]: Operation not permitted/);
      expect(withGroup.out).toMatch(/Unable to setup interface/);
      const generated = await hostapdAsService('');
      expect(generated.enabled, `the generated config: hostapd said: ${generated.out}`).toBe(true);
    }, 150_000);
  });
});
