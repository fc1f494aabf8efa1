/**
 * Network modes end to end on this machine (issue 6):
 *   - hostapd.conf and dnsmasq.conf generation as golden text, checked by the real
 *     programs' parsers (dnsmasq --test; hostapd parses a file before touching the driver);
 *   - the WIFI: QR on the cart's first screen, then the link once a phone has joined;
 *   - the hotspot's files: 0600 in a 0700 directory on tmpfs, gone once read, the
 *     directory gone after the session; no passphrase or station address in any log;
 *   - clinic mode over HTTPS with a throwaway certificate (openssl): HSTS, https links;
 *   - mode auto falling back to the clinic network when the hotspot it chose cannot start.
 * Real radios (mac80211_hwsim in QEMU) are in hw-tests/hotspot-hwsim.hw.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import jsQRModule from 'jsqr';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../appliance/src/app.js';
import { pickHardware } from '../appliance/src/hardware/pick-hardware.js';
import { pngToCanvas } from '../appliance/src/cart/png-display.js';
import { parseCli } from '../appliance/src/config/cli.js';
import { defaultConfig, validateConfig, type Config } from '../appliance/src/config/config.js';
import { dnsmasqConfig } from '../appliance/src/network/dnsmasq-config.js';
import { hostapdConfig, HotspotConfigError } from '../appliance/src/network/hostapd-config.js';
import { Hotspot, HotspotError } from '../appliance/src/network/hotspot.js';
import { createLogger } from '../appliance/src/system/logger.js';
import { launchChromium } from './support/chromium.js';
import { loopbackConfig } from './support/loopback-config.js';
import { openViewer, waitForState } from './support/viewer-page.js';

type JsQR = typeof jsQRModule.default;
const jsQR = ((jsQRModule as unknown as { default?: JsQR }).default ?? jsQRModule) as JsQR;

const work = mkdtempSync(join(tmpdir(), 'sonobox-net-'));
const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/sonobox-net-') : undefined;
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  if (shm) rmSync(shm, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await probe())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A logger whose every line is kept in memory, to search for secrets afterwards. */
function capturingLogger(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { logger: createLogger({ destination, level: 'debug' }), text: () => lines.join('') };
}

const session = { interface: 'wlan0', ssid: 'sonobox', channel: 6, countryCode: 'DE', passphrase: 'abcdefghjkmnpqrstuvwxyz2', ctrlInterfaceDir: '/run/sonobox/hotspot/ctrl', maxStations: 2 };

const goldenHostapd = `# sonobox hotspot: generated per session, lives in RAM only, removed at session end.
interface=wlan0
driver=nl80211
ctrl_interface=/run/sonobox/hotspot/ctrl
ssid2=736f6e6f626f78
utf8_ssid=1
ignore_broadcast_ssid=0
country_code=DE
ieee80211d=1
hw_mode=g
channel=6
ieee80211n=1
wmm_enabled=1
auth_algs=1
wpa=2
wpa_key_mgmt=WPA-PSK
rsn_pairwise=CCMP
wpa_passphrase=abcdefghjkmnpqrstuvwxyz2
ieee80211w=1
wps_state=0
ap_isolate=1
max_num_sta=2
logger_syslog=0
logger_stdout=-1
logger_stdout_level=2
`;

const goldenDnsmasq = `# sonobox hotspot DHCP: generated per session, lives in RAM only.
interface=wlan0
bind-interfaces
listen-address=10.42.0.1
port=0
no-resolv
no-hosts
dhcp-range=10.42.0.10,10.42.0.60,255.255.255.0,600
dhcp-option=option:router
dhcp-option=option:dns-server
dhcp-authoritative
leasefile-ro
quiet-dhcp
quiet-dhcp6
quiet-ra
`;

describe('generated hotspot configuration', () => {
  it('hostapd.conf: WPA2-PSK CCMP only, isolation, no WPS, broadcast SSID, optional 802.11w (golden)', () => {
    expect(hostapdConfig(session)).toBe(goldenHostapd);
  });

  it('hostapd.conf: a UTF-8 SSID with reserved characters goes in hex', () => {
    expect(hostapdConfig({ ...session, ssid: 'Écho; "2"' })).toContain(`ssid2=${Buffer.from('Écho; "2"').toString('hex')}\n`);
  });

  it('dnsmasq.conf: DHCP only on the hotspot, no router, no DNS, no lease file, no per-lease log (golden)', () => {
    expect(dnsmasqConfig({ interface: 'wlan0', gateway: '10.42.0.1', leaseS: 600 })).toBe(goldenDnsmasq);
  });

  const bad: Array<[string, Partial<typeof session>, RegExp]> = [
    ['empty SSID', { ssid: '' }, /ssid must be 1 to 32 bytes/],
    ['33-byte SSID', { ssid: 'x'.repeat(33) }, /ssid must be 1 to 32 bytes/],
    ['newline in SSID', { ssid: 'a\nwpa=0' }, /control characters/],
    ['channel 14', { channel: 14 }, /channel from 1 to 13/],
    ['lower-case country', { countryCode: 'de' }, /two capital letters/],
    ['interface with a slash', { interface: '../wlan0' }, /interface name/],
    ['newline in passphrase', { passphrase: 'abcdefgh\nwpa=0' }, /8\.\.63 printable/],
    ['7-character passphrase', { passphrase: 'abcdefg' }, /8\.\.63 printable/],
  ];
  it.each(bad)('refuses %s', (_name, change, message) => {
    expect(() => hostapdConfig({ ...session, ...change })).toThrow(HotspotConfigError);
    expect(() => hostapdConfig({ ...session, ...change })).toThrow(message);
  });

  const dnsmasqBin = spawnSync('dnsmasq', ['--version']).status === 0;
  it.skipIf(!dnsmasqBin)('dnsmasq --test accepts the generated file', () => {
    const f = join(work, 'dnsmasq.conf');
    writeFileSync(f, goldenDnsmasq);
    const r = spawnSync('dnsmasq', ['--test', `--conf-file=${f}`], { encoding: 'utf8' });
    expect(r.stderr + r.stdout).toContain('syntax check OK');
    expect(r.status).toBe(0);
  });

  const hostapdBin = spawnSync('hostapd', ['-v'], { encoding: 'utf8' }).stderr?.includes('hostapd v') === true;
  it.skipIf(!hostapdBin)('hostapd parses every line of the generated file', () => {
    // hostapd has no "test the file" flag; it parses the whole file before opening the driver,
    // reporting "Line N: ..." for anything wrong. On an interface that does not exist it then
    // stops at the driver. A broken line must be caught the same way (the control case).
    const run = (text: string): string => {
      const f = join(work, 'hostapd.conf');
      writeFileSync(f, text.replace('interface=wlan0', 'interface=sbnone0').replace('/run/sonobox/hotspot/ctrl', join(work, 'ctrl')), { mode: 0o600 });
      const r = spawnSync('hostapd', [f], { encoding: 'utf8', timeout: 10_000 });
      return r.stdout + r.stderr;
    };
    const good = run(goldenHostapd);
    expect(good).not.toMatch(/Line \d+:/);
    expect(good).toMatch(/nl80211|sbnone0/);
    expect(run(goldenHostapd.replace('ap_isolate=1', 'ap_isolate=1\nwpa_pairwise_typo=CCMP'))).toMatch(/Line \d+: unknown configuration item 'wpa_pairwise_typo'/);
  });
});

/** Stand-ins for hostapd, dnsmasq and ip: they report what they saw into `report`. */
function standIns(dir: string): { commands: { hostapd: string; dnsmasq: string; ip: string }; report: string } {
  const report = join(dir, 'report.txt');
  const script = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, `#!/bin/sh\n${body}\n`);
    chmodSync(p, 0o755);
    return p;
  };
  return {
    report,
    commands: {
      // Reports its file's mode, its directory's mode, and a hash of the passphrase line; then
      // behaves like hostapd: AP-ENABLED, and a phone joining a little later.
      hostapd: script('hostapd', `echo "hostapd $(stat -c %a "$1") $(stat -c %a "$(dirname "$1")") $(grep '^wpa_passphrase=' "$1" | cut -d= -f2 | sha256sum | cut -c1-16)" >> ${report}
echo "wlan0: interface state UNINITIALIZED->ENABLED"
echo "wlan0: AP-ENABLED "
sleep "\${STANDIN_JOIN_AFTER:-0.5}"
echo "wlan0: STA 02:00:00:00:01:00 IEEE 802.11: associated"
echo "wlan0: AP-STA-CONNECTED 02:00:00:00:01:00"
exec sleep 30`),
      dnsmasq: script('dnsmasq', `for a in "$@"; do case "$a" in --conf-file=*) f="\${a#--conf-file=}";; esac; done
echo "dnsmasq $(stat -c %a "$f") $*" >> ${report}
echo "dnsmasq: started, version 2.90 DNS disabled" >&2
exec sleep 30`),
      ip: script('ip', `echo "ip $*" >> ${report}`),
    },
  };
}

/** The stand-ins, with a hostapd that fails the way a radio refusing AP mode does. */
function standInsWithBrokenHostapd(dir: string): ReturnType<typeof standIns>['commands'] {
  const { commands } = standIns(dir);
  const broken = join(dir, 'hostapd-broken');
  writeFileSync(broken, '#!/bin/sh\necho "nl80211: Could not configure driver mode"\nexit 1\n');
  chmodSync(broken, 0o755);
  return { ...commands, hostapd: broken };
}

const sha16 = (s: string): string => execFileSync('sh', ['-c', 'printf "%s\\n" "$0" | sha256sum | cut -c1-16', s], { encoding: 'utf8' }).trim();

describe.skipIf(!shm)('the hotspot service (stand-in hostapd/dnsmasq/ip; runtime dir on /dev/shm tmpfs)', () => {
  it('writes 0600 files in a 0700 RAM directory, deletes them once read, removes the directory at close, logs no secret', async () => {
    const dir = mkdtempSync(join(work, 'standins-'));
    const { commands, report } = standIns(dir);
    const runtimeDir = mkdtempSync(join(shm!, 'run-'));
    const logs: string[] = [];
    const log = { info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
    const hotspot = new Hotspot({ settings: { interface: 'wlan0', ssid: 'sonobox', channel: 6, countryCode: 'DE' }, runtimeDir, maxStations: 2, commands, log });

    const { session: s, ready } = hotspot.open();
    expect(s.passphrase).toMatch(/^[a-hjkmnp-z2-9]{24}$/);
    expect(s.wifiQr).toBe(`WIFI:T:WPA;S:sonobox;P:${s.passphrase};;`);
    await ready;
    expect(hotspot.state).toBe('up');
    const seen = readFileSync(report, 'utf8');
    expect(seen).toContain(`hostapd 600 700 ${sha16(s.passphrase)}`);
    expect(seen).toMatch(/^dnsmasq 600 -k --conf-file=\S+\/hotspot\/dnsmasq\.conf --pid-file --log-facility=-$/m);
    expect(seen).toContain('ip addr add 10.42.0.1/24 dev wlan0');
    // Read by both children, then gone: the passphrase is in no file while the AP runs.
    expect(existsSync(join(hotspot.directory, 'hostapd.conf'))).toBe(false);
    expect(existsSync(join(hotspot.directory, 'dnsmasq.conf'))).toBe(false);
    expect(statSync(hotspot.directory).mode & 0o777).toBe(0o700);

    await until('the phone to join', () => hotspot.stations === 1);
    await hotspot.close();
    expect(hotspot.state).toBe('closed');
    expect(hotspot.session).toBeUndefined();
    expect(existsSync(hotspot.directory)).toBe(false);
    expect(readFileSync(report, 'utf8')).toContain('ip addr flush dev wlan0');

    // A second session gets a different passphrase.
    const second = hotspot.open();
    await second.ready;
    expect(second.session.passphrase).not.toBe(s.passphrase);
    await hotspot.close();

    const all = logs.join('\n');
    expect(all).toContain('Hotspot up on wlan0');
    for (const secret of [s.passphrase, second.session.passphrase, '02:00:00:00:01:00']) expect(all).not.toContain(secret);
  });

  it('refuses a runtime directory that is not RAM-backed, saying where to put it', () => {
    const hotspot = new Hotspot({ settings: { interface: 'wlan0', ssid: 'sonobox', channel: 6, countryCode: 'DE' }, runtimeDir: work, maxStations: 2, log: { info: () => undefined, warn: () => undefined } });
    const onDisk = statSync(work) && spawnSync('stat', ['-f', '-c', '%T', work], { encoding: 'utf8' }).stdout.trim();
    if (onDisk === 'tmpfs' || onDisk === 'ramfs') return expect.fail(`skipped: ${work} is ${onDisk} here; cannot show the refusal`);
    expect(() => hotspot.open()).toThrow(HotspotError);
    expect(() => hotspot.open()).toThrow(/not tmpfs.*\/run\/sonobox/);
  });

  it('a hostapd that cannot start fails the session hotspot with what to check, and leaves no file', async () => {
    const commands = standInsWithBrokenHostapd(mkdtempSync(join(work, 'broken-')));
    const runtimeDir = mkdtempSync(join(shm!, 'run-'));
    const logs: string[] = [];
    const hotspot = new Hotspot({ settings: { interface: 'wlan0', ssid: 'sonobox', channel: 6, countryCode: 'DE' }, runtimeDir, maxStations: 2, commands, log: { info: (m) => logs.push(m), warn: (m) => logs.push(m) } });
    await expect(hotspot.open().ready).rejects.toThrow(/hostapd exited \(1\).*Could not configure driver mode/);
    expect(hotspot.state).toBe('failed');
    expect(existsSync(join(hotspot.directory, 'hostapd.conf'))).toBe(false);
    await hotspot.close();
    expect(existsSync(hotspot.directory)).toBe(false);
    expect(logs.join('\n')).toMatch(/Hotspot could not start/);
  });
});

function appConfig(change: (c: Config) => void): Config {
  const c = structuredClone(defaultConfig);
  c.http.host = '127.0.0.1';
  c.http.port = 0;
  c.source.spec = 'test-pattern';
  c.source.width = 320;
  c.source.height = 240;
  c.source.fps = 10;
  c.encoder.spec = 'software';
  c.cart.display = 'png';
  c.cart.button = 'terminal';
  c.cart.language = 'en';
  change(c);
  return validateConfig(c);
}

async function cartQr(app: App): Promise<string | undefined> {
  const r = await app.server.inject({ method: 'GET', url: '/api/cart.png' });
  if (r.statusCode !== 200) return undefined;
  const c = pngToCanvas(r.rawPayload);
  return jsQR(new Uint8ClampedArray(c.data.buffer, c.data.byteOffset, c.data.byteLength), c.width, c.height)?.data;
}

describe.skipIf(!shm)('hotspot mode in the app: the cart shows WIFI: first, then the link once the phone joined', () => {
  it('press → WIFI: QR with the session passphrase → phone joins → link QR on http://10.42.0.1; end → files gone', async () => {
    const dir = mkdtempSync(join(work, 'app-standins-'));
    const { commands } = standIns(dir);
    const runtimeDir = mkdtempSync(join(shm!, 'run-'));
    const cap = capturingLogger();
    let link = '';
    const config = appConfig((c) => (c.network.mode = 'hotspot'));
    const app = buildApp({
      config,
      logger: cap.logger,
      hardware: await pickHardware(config, { logger: cap.logger, runtimeDir, hotspotCommands: commands }),
      onLink: (l) => (link = l),
    });
    try {
      await app.start();
      // Join after 1.5 s so the WIFI: screen is certainly up first.
      process.env.STANDIN_JOIN_AFTER = '1.5';
      app.share();
      expect(link).toMatch(/^http:\/\/10\.42\.0\.1:\d+\/v#t=/);
      const first = await cartQr(app);
      expect(first).toMatch(/^WIFI:T:WPA;S:sonobox;P:[a-hjkmnp-z2-9]{24};;$/);
      const passphrase = /P:([^;]+);/.exec(first!)![1]!;
      await until('the link QR after the phone joined', async () => (await cartQr(app)) === link);

      await app.sessions.end('test over');
      await until('the hotspot directory to go', () => !existsSync(join(runtimeDir, 'hotspot')));
      const logs = cap.text();
      expect(logs).not.toContain(passphrase);
      expect(logs).not.toContain('02:00:00:00:01:00');
      expect(logs).not.toContain(link.split('#')[1]!);
    } finally {
      delete process.env.STANDIN_JOIN_AFTER;
      await app.stop();
    }
  }, 30_000);
});

describe.skipIf(!shm)('network mode auto: a hotspot that cannot start falls back to the clinic network', () => {
  it('auto picks the radio → hostapd fails → the session ends, saying so → the next link is on the LAN and plays in Chromium', async () => {
    // The board has a radio and the tools, so auto chooses the hotspot; the radio then refuses AP mode.
    const commands = standInsWithBrokenHostapd(mkdtempSync(join(work, 'auto-standins-')));
    const runtimeDir = mkdtempSync(join(shm!, 'run-'));
    const cap = capturingLogger();
    const links: string[] = [];
    // A board with a Wi-Fi radio, as sysfs shows one (cfg80211's phy80211 link).
    const root = mkdtempSync(join(work, 'root-'));
    mkdirSync(join(root, 'sys/class/net/wlan0/phy80211'), { recursive: true });
    const config = loopbackConfig((c) => (c.network.mode = 'auto'));
    const app = buildApp({
      config,
      logger: cap.logger,
      hardware: await pickHardware(config, { logger: cap.logger, root, runtimeDir, hotspotCommands: commands }),
      onLink: (l) => links.push(l),
    });
    const browser = await launchChromium();
    try {
      await app.start();
      expect(cap.text()).toContain('network mode auto: hotspot');
      app.share();
      expect(links[0]).toMatch(/^http:\/\/10\.42\.0\.1:\d+\/v#t=/);
      await until('the session to end after the hotspot failed', () => app.sessions.snapshot().state !== 'active');
      const logs = cap.text();
      expect(logs).toMatch(/network mode auto: the hotspot failed \(.*Could not configure driver mode.*\); sharing over the clinic network/);
      await until('the failed hotspot to be cleaned up', () => !existsSync(join(runtimeDir, 'hotspot')));
      // The cart no longer offers a Wi-Fi code.
      expect(await cartQr(app)).toBeUndefined();

      const r = await app.server.inject({ method: 'POST', url: '/api/session' });
      expect(r.statusCode).toBe(201);
      const { link } = r.json<{ link: string }>();
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v#t=/);
      // hostapd is not tried again for this session: the box stays on the LAN until it restarts.
      expect(cap.text().match(/Hotspot could not start/g)).toHaveLength(1);
      const page = await openViewer(browser, link);
      await waitForState(page, 'live', 30_000);
      await page.context().close();
    } finally {
      await browser.close();
      await app.stop();
    }
  }, 60_000);
});

const openssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!openssl)('clinic mode over HTTPS with the engineer\'s certificate (openssl self-signed)', () => {
  it('serves HTTPS on loopback with HSTS; links are https://<hostname>; plain HTTP mode has no HSTS', async () => {
    const hostname = 'sonobox.clinic.test';
    const key = join(work, 'tls.key');
    const cert = join(work, 'tls.crt');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${hostname}`, '-addext', `subjectAltName=DNS:${hostname}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
    const cli = parseCli(['--tls-cert', cert, '--tls-key', key, '--tls-hostname', hostname], appConfig(() => undefined));
    let link = '';
    const logger = capturingLogger().logger;
    const app = buildApp({ config: cli.config, logger, hardware: await pickHardware(cli.config, { logger }), onLink: (l) => (link = l) });
    try {
      const base = await app.start();
      const port = Number(new URL(base).port);
      expect(base).toBe(`https://${hostname}:${port}`);
      app.share();
      expect(link).toMatch(new RegExp(`^https://${hostname.replace(/\./g, '\\.')}:${port}/v#t=`));

      // A client that trusts only this certificate, resolving the clinic name to loopback.
      const res = await new Promise<{ status: number; headers: Record<string, unknown>; authorized: boolean }>((resolve, reject) => {
        const req = request({ host: hostname, port, path: '/api/status', ca: readFileSync(cert), lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]) }, (r) => {
          r.resume();
          resolve({ status: r.statusCode ?? 0, headers: r.headers, authorized: (r.socket as import('node:tls').TLSSocket).authorized });
        });
        req.on('error', reject);
        req.end();
      });
      expect(res.status).toBe(200);
      expect(res.authorized).toBe(true);
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    } finally {
      await app.stop();
    }

    const plainConfig = appConfig(() => undefined);
    const plainLogger = capturingLogger().logger;
    const plain = buildApp({ config: plainConfig, logger: plainLogger, hardware: await pickHardware(plainConfig, { logger: plainLogger }) });
    try {
      const base = await plain.start();
      expect(base).toMatch(/^http:\/\//);
      const r = await fetch(`http://127.0.0.1:${new URL(base).port}/api/status`);
      expect(r.status).toBe(200);
      expect(r.headers.get('strict-transport-security')).toBeNull();
    } finally {
      await plain.stop();
    }
  }, 30_000);

  it.each([
    ['cert without key and hostname', ['--tls-cert', '/boot/sonobox/tls.crt'], /all three/],
    ['unknown network mode', ['--network', 'mesh'], /--network must be one of "clinic", "hotspot", "auto" \(got "mesh"\)/],
    ['hotspot on channel 14', ['--network', 'hotspot', '--wifi-channel', '14'], /--wifi-channel must be a whole number from 1 to 13 \(got "14"\)/],
  ])('configuration refuses %s', (_n, argv, message) => {
    expect(() => parseCli(argv)).toThrow(message);
  });

  it('a missing certificate file stops start-up with what to do', async () => {
    const cli = parseCli(['--tls-cert', join(work, 'nope.crt'), '--tls-key', join(work, 'nope.key'), '--tls-hostname', 'x.test'], appConfig(() => undefined));
    await expect(pickHardware(cli.config, { logger: capturingLogger().logger })).rejects.toThrow(/cannot read the TLS key .*ENOENT.*boot partition/);
  });
});
