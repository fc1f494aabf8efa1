import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WITHHOLD_ALL } from '../mask/mask-presets.js';
import { applyConfigToml, NOT_MOUNTED_MARKER, problemSummary, readConfigFile } from './config-file.js';
import { parseCli } from './cli.js';
import { defaultConfig } from './config.js';

const template = readFileSync(new URL('../../../image-build/sonobox.toml', import.meta.url), 'utf8');

describe('valid files', () => {
  it('the shipped template applies cleanly and changes nothing but what it states', () => {
    const r = applyConfigToml(template);
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.config.cart.language).toBe('en');
    expect(r.config.cart.buttonKeyCode).toBe(28);
    expect(r.config.session).toEqual(defaultConfig.session);
  });

  const cases: { name: string; toml: string; check: (c: typeof defaultConfig) => unknown; want: unknown }[] = [
    { name: 'language fr', toml: 'language = "fr"', check: (c) => c.cart.language, want: 'fr' },
    { name: 'display device path', toml: '[display]\ndevice = "/dev/fb1"', check: (c) => c.cart.display, want: '/dev/fb1' },
    { name: 'display none keeps the screen in memory', toml: '[display]\ndevice = "none"', check: (c) => c.cart.display, want: 'png' },
    { name: 'button key by name', toml: '[button]\nkey = "KEY_PROG1"', check: (c) => c.cart.buttonKeyCode, want: 148 },
    { name: 'button key name in lower case', toml: '[button]\nkey = "key_space"', check: (c) => c.cart.buttonKeyCode, want: 57 },
    { name: 'button key F13', toml: '[button]\nkey = "KEY_F13"', check: (c) => c.cart.buttonKeyCode, want: 183 },
    { name: 'button BTN_0', toml: '[button]\nkey = "BTN_0"', check: (c) => c.cart.buttonKeyCode, want: 256 },
    { name: 'button key by number', toml: '[button]\nkey = 30', check: (c) => c.cart.buttonKeyCode, want: 30 },
    { name: 'max viewers', toml: '[session]\nmax_viewers = 4', check: (c) => c.session.maxViewers, want: 4 },
    { name: 'link ttl in seconds', toml: '[session]\nlink_ttl_s = 120', check: (c) => c.session.linkTtlMs, want: 120_000 },
    { name: 'max duration', toml: '[session]\nmax_duration_min = 30', check: (c) => c.cart.maxSessionMs, want: 1_800_000 },
    { name: 'source size and fps', toml: '[source]\nsize = "1920x1080"\nfps = 25', check: (c) => [c.source.width, c.source.height, c.source.fps], want: [1920, 1080, 25] },
    { name: 'source device', toml: '[source]\ndevice = "test-pattern"', check: (c) => c.source.spec, want: 'test-pattern' },
    { name: 'encoder', toml: '[encoder]\ndevice = "software"\nbitrate_kbps = 2500', check: (c) => [c.encoder.spec, c.encoder.bitrateBps], want: ['software', 2_500_000] },
    { name: 'http', toml: '[http]\nport = 80\npublic_host = "sonobox.local"', check: (c) => [c.http.port, c.http.publicHost], want: [80, 'sonobox.local'] },
    { name: 'hotspot network', toml: '[network]\nmode = "hotspot"\nwifi_ssid = "echo-3"\nwifi_channel = 11\nwifi_country = "fr"', check: (c) => [c.network.mode, c.network.hotspot.ssid, c.network.hotspot.channel, c.network.hotspot.countryCode], want: ['hotspot', 'echo-3', 11, 'FR'] },
    { name: 'network auto (the image default)', toml: '[network]\nmode = "auto"', check: (c) => c.network.mode, want: 'auto' },
    { name: 'clinic HTTPS, all three', toml: '[network]\ntls_cert = "/boot/firmware/c.pem"\ntls_key = "/boot/firmware/k.pem"\ntls_hostname = "sonobox.example"', check: (c) => c.network.clinic, want: { certFile: '/boot/firmware/c.pem', keyFile: '/boot/firmware/k.pem', hostname: 'sonobox.example' } },
    { name: 'mask preset', toml: '[mask]\npreset = "generic-top-banner"', check: (c) => c.mask.preset, want: 'generic-top-banner' },
    { name: 'dotted keys are the same as sections', toml: 'session.max_viewers = 3', check: (c) => c.session.maxViewers, want: 3 },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const r = applyConfigToml(t.toml);
      expect(r.problems).toEqual([]);
      expect(t.check(r.config)).toEqual(t.want);
    });
  }

  it('does not modify the base it was given', () => {
    const base = structuredClone(defaultConfig);
    applyConfigToml('language = "fr"\n[session]\nmax_viewers = 5', base);
    expect(base).toEqual(defaultConfig);
  });

  it('command-line flags override the file', () => {
    const file = applyConfigToml('language = "fr"\n[session]\nmax_viewers = 5\nlink_ttl_s = 60');
    const cli = parseCli(['--max-viewers', '2'], file.config);
    expect(cli.config.session.maxViewers).toBe(2);
    expect(cli.config.cart.language).toBe('fr');
    expect(cli.config.session.linkTtlMs).toBe(60_000);
  });
});

describe('--ice-ports (a fixed WebRTC UDP range, e.g. for a NAT forward)', () => {
  it('parses MIN-MAX into webrtc.icePortRange', () => {
    expect(parseCli(['--ice-ports', '40000-40009']).config.webrtc.icePortRange).toEqual([40000, 40009]);
    expect(parseCli([]).config.webrtc.icePortRange).toBeUndefined();
  });
  it.each([['40000'], ['40009-40000'], ['80-90'], ['40000-70000']])('rejects %s', (v) => {
    expect(() => parseCli(['--ice-ports', v])).toThrow(/ice-ports|icePortRange/);
  });
});

describe('each kind of error names the key, says what to write, and keeps the default for it only', () => {
  const cases: { name: string; toml: string; key: string; says: RegExp }[] = [
    { name: 'language not offered', toml: 'language = "de"', key: 'language', says: /"en", "fr".*got "de"/ },
    { name: 'unknown button key name', toml: '[button]\nkey = "KEY_ENTRE"', key: 'button.key', says: /"KEY_ENTER".*got "KEY_ENTRE"/ },
    { name: 'button key number out of range', toml: '[button]\nkey = 5000', key: 'button.key', says: /key number from 1 to 767/ },
    { name: 'max viewers too large', toml: '[session]\nmax_viewers = 40', key: 'session.max_viewers', says: /whole number from 1 to 16.*got 40/ },
    { name: 'number written as a string', toml: '[session]\nmax_viewers = "2"', key: 'session.max_viewers', says: /got "2"/ },
    { name: 'fractional number', toml: '[session]\nlink_ttl_s = 1.5', key: 'session.link_ttl_s', says: /whole number.*got 1\.5/ },
    { name: 'display neither keyword nor device', toml: '[display]\ndevice = "hdmi"', key: 'display.device', says: /"auto", "none", "png" or a device path starting with \/dev\//},
    { name: 'odd picture size', toml: '[source]\nsize = "1281x720"', key: 'source.size', says: /even width and height such as "1280x720"/ },
    { name: 'network mode unknown', toml: '[network]\nmode = "wifi"', key: 'network.mode', says: /"clinic", "hotspot".*got "wifi"/ },
    { name: 'Wi-Fi channel outside 2.4 GHz', toml: '[network]\nwifi_channel = 36', key: 'network.wifi_channel', says: /whole number from 1 to 13.*got 36/ },
    { name: 'HTTPS with only a certificate', toml: '[network]\ntls_cert = "/boot/firmware/c.pem"', key: 'network.tls_cert', says: /all three for HTTPS, or none/ },
    { name: 'section written as a value', toml: 'session = 3', key: 'session', says: /\[session\] on its own line/ },
  ];
  for (const t of cases) {
    it(t.name, () => {
      const r = applyConfigToml(`${t.toml}\n`);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]!.key).toBe(t.key);
      expect(r.problems[0]!.message).toMatch(new RegExp(`^${t.key.replace('.', '\\.')} `));
      expect(r.problems[0]!.message).toMatch(t.says);
      expect(r.config).toEqual(defaultConfig);
    });
  }

  it('an unusable mask preset fails closed: every frame is withheld, never streamed unmasked', () => {
    const r = applyConfigToml('[mask]\npreset = "ge-voluson"');
    expect(r.problems.map((p) => p.key)).toEqual(['mask.preset']);
    expect(r.config.mask.preset).toBe(WITHHOLD_ALL);
    expect(r.problems[0]!.message).toMatch(/^mask\.preset "ge-voluson" is not a known preset; choose one of: none, generic-top-banner.*no picture is sent/);
  });

  it('good keys beside a bad one still apply', () => {
    const r = applyConfigToml('language = "fr"\n[session]\nmax_viewers = 0\nlink_ttl_s = 90\n[button]\nkey = "NOPE"');
    expect(r.problems.map((p) => p.key)).toEqual(['session.max_viewers', 'button.key']);
    expect(r.config.cart.language).toBe('fr');
    expect(r.config.session.linkTtlMs).toBe(90_000);
    expect(r.config.session.maxViewers).toBe(defaultConfig.session.maxViewers);
    expect(r.config.cart.buttonKeyCode).toBe(defaultConfig.cart.buttonKeyCode);
  });

  it('a file that is not TOML is one problem with its line: the privacy settings fail closed, the others keep their defaults', () => {
    // The file may have said a stricter preset than the default: never fall back to weaker.
    const r = applyConfigToml('language = "fr"\n[session\nmax_viewers = 2\n[mask]\npreset = "test-banner"\n');
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.key).toBe('sonobox.toml');
    expect(r.problems[0]!.message).toMatch(/not valid TOML at line 2.*until it is fixed no picture is sent/);
    expect(r.config).toEqual({ ...defaultConfig, mask: { preset: WITHHOLD_ALL } });
  });

  it('a duplicated key is a TOML error', () => {
    expect(applyConfigToml('language = "en"\nlanguage = "fr"').problems[0]!.message).toMatch(/not valid TOML at line 2/);
  });
});

describe('unknown keys are warned about and ignored', () => {
  it('unknown key in a known section names the known ones', () => {
    const r = applyConfigToml('[session]\nmax_viewer = 2');
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual(['sonobox.toml: unknown setting session.max_viewer ignored (known here: session.max_viewers, session.link_ttl_s, session.whep_bearer, session.max_duration_min)']);
    expect(r.config).toEqual(defaultConfig);
  });
  it('unknown section', () => {
    const r = applyConfigToml('[wifi]\nssid = "x"');
    expect(r.problems).toEqual([]);
    expect(r.warnings[0]).toMatch(/unknown section \[wifi\] ignored \(known: \[source\], \[audio\], \[encoder\], \[http\], \[session\], \[network\], \[display\], \[button\], \[mask\]\)/);
  });
  it('unknown top-level key', () => {
    expect(applyConfigToml('langauge = "fr"').warnings[0]).toMatch(/unknown setting langauge ignored \(known here: language\)/);
  });
});

describe('readConfigFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sonobox-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file', () => {
    const p = join(dir, 'sonobox.toml');
    writeFileSync(p, '[session]\nmax_viewers = 3\n');
    expect(readConfigFile(p).config.session.maxViewers).toBe(3);
  });
  it('a missing file is a warning, not a problem', () => {
    const r = readConfigFile(join(dir, 'absent.toml'));
    expect(r.problems).toEqual([]);
    expect(r.warnings[0]).toMatch(/no settings file/);
  });
  it('a missing file on a dev machine keeps the safe defaults: the banner is masked', () => {
    expect(readConfigFile(join(dir, 'absent.toml')).config.mask.preset).toBe('generic-top-banner');
  });
  it('an unreadable path (a directory) is a problem and fails closed', () => {
    const r = readConfigFile(dir);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toMatch(/could not be read \(EISDIR\); until it is fixed no picture is sent/);
    expect(r.config.mask.preset).toBe(WITHHOLD_ALL);
    expect(r.config.session).toEqual(defaultConfig.session);
  });
  it('the boot partition not mounted (the image\'s marker beside the file) fails closed and says so', () => {
    const boot = mkdtempSync(join(tmpdir(), 'sonobox-boot-'));
    try {
      writeFileSync(join(boot, NOT_MOUNTED_MARKER), '');
      const r = readConfigFile(join(boot, 'sonobox.toml'));
      expect(r.config.mask.preset).toBe(WITHHOLD_ALL);
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]!.message).toMatch(/boot partition \(SONOBOOT, which holds sonobox\.toml\) is not mounted.*no picture is sent/);
      // Mounted (the marker hidden under the FAT partition): the file is read as usual.
      rmSync(join(boot, NOT_MOUNTED_MARKER));
      writeFileSync(join(boot, 'sonobox.toml'), '[mask]\npreset = "test-banner"\n');
      expect(readConfigFile(join(boot, 'sonobox.toml'))).toMatchObject({ problems: [], config: { mask: { preset: 'test-banner' } } });
    } finally {
      rmSync(boot, { recursive: true, force: true });
    }
  });
  it('the image template masks by default', () => {
    expect(applyConfigToml(template).config.mask.preset).toBe('generic-top-banner');
  });
});

describe('problemSummary (the cart screen text)', () => {
  it('none', () => expect(problemSummary([])).toBeUndefined());
  it('one problem as written', () => {
    expect(problemSummary(applyConfigToml('language = "de"').problems)).toBe('language must be one of "en", "fr" (got "de"); using the default.');
  });
  it('the first of several, with how many more the log holds', () => {
    const s = problemSummary(applyConfigToml('language = "de"\n[session]\nmax_viewers = 0\n[button]\nkey = "X"').problems);
    expect(s).toMatch(/^language must .* \(\+2 more in the log\)$/);
  });
  it('cut to 200 characters for a small panel', () => {
    const s = problemSummary([{ key: 'x', message: 'x'.repeat(500) }])!;
    expect(Array.from(s)).toHaveLength(200);
    expect(s.endsWith('…')).toBe(true);
  });
});
