import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyConfigToml } from './config-file.js';
import { cliUsage, parseCli } from './cli.js';
import { defaultConfig, validateConfig } from './config.js';
import { settings, type Setting } from './settings.js';

const srcDir = new URL('..', import.meta.url).pathname;
const templatePath = new URL('../../../image-build/sonobox.toml', import.meta.url).pathname;
const template = readFileSync(templatePath, 'utf8');

const flagged = settings.filter((s) => s.flag);
const filed = settings.filter((s) => s.file);

/** The TOML line for a row's value, e.g. `[session]\nmax_viewers = 1`. */
function tomlLine(s: Setting, value: unknown): string {
  const key = s.file!.key;
  const shownValue = s.kind.show(value, s.file!.scale ?? 1, 'file');
  const literal = typeof s.default === 'number' && /^-?\d+$/.test(shownValue) ? shownValue : JSON.stringify(shownValue);
  return key.includes('.') ? `[${key.split('.')[0]}]\n${key.split('.')[1]} = ${literal}` : `${key} = ${literal}`;
}

describe('the settings table', () => {
  it('gives every Config field a default that passes its own check', () => {
    expect(validateConfig(structuredClone(defaultConfig))).toEqual(defaultConfig);
    const optional = new Set(['webrtc.icePortRange', 'network.clinic.certFile', 'network.clinic.keyFile', 'network.clinic.hostname']);
    const leaves: string[] = [];
    const walk = (o: object, path: string): void => {
      for (const [k, v] of Object.entries(o)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as object, `${path}${k}.`);
        else if (v === undefined) expect(optional.has(`${path}${k}`), `${path}${k} has no default`).toBe(true);
        else leaves.push(`${path}${k}`);
      }
    };
    walk(defaultConfig, '');
    expect(leaves.length).toBeGreaterThanOrEqual(30);
  });

  it('names every flag and file key once', () => {
    const flags = flagged.map((s) => s.flag!.name);
    const keys = filed.map((s) => s.file!.key);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it.each(flagged.map((s) => [s.name, s] as const))('%s: its flag reads back the default it shows in --help', (_name, s) => {
    const shownDefault = s.kind.show(s.default, s.flag!.scale ?? 1, 'flag');
    if (shownDefault === '' || s.flag!.repeatable) return; // nothing to write (no default) or a list
    expect(parseCli([s.flag!.name, shownDefault]).config).toEqual(defaultConfig);
    expect(cliUsage).toContain(`${s.flag!.name}${s.flag!.arg ? ` ${s.flag!.arg}` : ''}`);
    expect(cliUsage).toContain(`default ${shownDefault}`);
  });

  it.each(filed.map((s) => [s.file!.key, s] as const))('%s: the file reads back the default it shows', (_key, s) => {
    if (s.default === undefined) return;
    const r = applyConfigToml(tomlLine(s, s.default));
    expect(r.problems).toEqual([]);
    expect(r.config).toEqual(defaultConfig);
  });

  it.each(settings.filter((s) => s.flag && s.file).map((s) => [s.name, s] as const))('%s: the command line and the file accept the same values', (_name, s) => {
    for (const v of [s.default]) {
      if (v === undefined) continue;
      const viaFlag = parseCli([s.flag!.name, s.kind.show(v, s.flag!.scale ?? 1, 'flag')]).config;
      const viaFile = applyConfigToml(tomlLine(s, v)).config;
      expect(s.get(viaFlag)).toEqual(s.get(viaFile));
    }
  });
});

describe('ranges are the same on the command line and in the file (they drifted once: port 0–65535 vs 1–65535)', () => {
  const numeric = settings.filter((s) => s.flag && s.file && typeof s.default === 'number');
  it.each(numeric.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    const described = (surface: 'flag' | 'file'): string => s.kind.describe((surface === 'flag' ? s.flag!.scale : s.file!.scale) ?? 1);
    const m = /from (\d+) to (\d+)/.exec(described('file'))!;
    const [fileMin, fileMax] = [Number(m[1]), Number(m[2])];
    const fileScale = s.file!.scale ?? 1;
    const flagScale = s.flag!.scale ?? 1;
    for (const [configValue, okay] of [[fileMin * fileScale, true], [fileMax * fileScale, true], [(fileMin - 1) * fileScale, false], [(fileMax + 1) * fileScale, false]] as const) {
      const fileOk = applyConfigToml(tomlLine(s, configValue)).problems.length === 0;
      let flagOk = true;
      try {
        parseCli([s.flag!.name, String(configValue / flagScale)]);
      } catch {
        flagOk = false;
      }
      expect([configValue, fileOk, flagOk]).toEqual([configValue, okay, okay]);
    }
  });
});

/** Each `key = value` or `# key = value` line of the template, with its section and the comment lines above it. */
function templateEntries(): { section: string; key: string; value: string; commented: boolean; doc: string }[] {
  const out: { section: string; key: string; value: string; commented: boolean; doc: string }[] = [];
  let section = '';
  // The prose comment lines above a run of entries describe every entry of the run.
  let doc: string[] = [];
  let afterEntry = false;
  for (const raw of template.split('\n')) {
    const line = raw.trim();
    const header = /^#?\s*\[([a-z_]+)\]/.exec(line);
    if (header) {
      section = header[1]!;
      doc = [];
      continue;
    }
    const entry = /^(#\s*)?([a-z_]+)\s*=\s*("[^"]*"|[^\s#]+)\s*(?:#\s*(.*))?$/.exec(line);
    if (entry) {
      out.push({ section, key: entry[2]!, value: entry[3]!, commented: entry[1] !== undefined, doc: [...doc, entry[4] ?? ''].join(' ') });
      afterEntry = true;
    } else if (line.startsWith('#')) {
      if (afterEntry) doc = [];
      doc.push(line.replace(/^#\s?/, ''));
      afterEntry = false;
    } else {
      doc = [];
      afterEntry = false;
    }
  }
  return out;
}

describe('image-build/sonobox.toml, the commented template, agrees with the table', () => {
  const entries = templateEntries();
  const fullKey = (e: { section: string; key: string }): string => (e.section ? `${e.section}.${e.key}` : e.key);

  it('holds every file key of the table, and no other', () => {
    expect(entries.map(fullKey).sort()).toEqual(filed.map((s) => s.file!.key).sort());
  });

  it.each(entries.map((e) => [fullKey(e), e] as const))('%s: the value shown is the default (or applies cleanly), and the comment gives the range', (key, e) => {
    const row = filed.find((s) => s.file!.key === key)!;
    if (row.default === undefined) {
      // An example for a setting with no default (the TLS files): it must at least read.
      expect(row.kind.read(JSON.parse(e.value), 'file', row.file!.scale ?? 1).ok).toBe(true);
    } else {
      const r = applyConfigToml(e.section ? `[${e.section}]\n${e.key} = ${e.value}` : `${e.key} = ${e.value}`);
      expect(r.problems).toEqual([]);
      if (e.commented) expect(row.get(r.config)).toEqual(row.default);
    }
    const range = /from (\d+) to (\d+)/.exec(row.kind.describe(row.file!.scale ?? 1));
    if (range) expect(e.doc, `the comment for ${key} should say "${range[1]} to ${range[2]}"`).toContain(`${range[1]} to ${range[2]}`);
  });
});

describe('config/ reads no device', () => {
  it('imports nothing from capture, encode, v4l2 or the cart drivers, directly or not', () => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const code = readFileSync(file, 'utf8');
      for (const m of code.matchAll(/^import\s+(?!type\b)[^'"]*from\s+'(\.[^']+)'/gm)) {
        const target = join(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
        if (target.endsWith('.ts')) visit(target);
      }
    };
    for (const f of ['config.ts', 'cli.ts', 'config-file.ts', 'settings.ts', 'setting-kinds.ts', 'config-error.ts']) visit(join(srcDir, 'config', f));
    const reached = [...seen].map((f) => relative(srcDir, f));
    const drivers = reached.filter((f) => /^(capture|encode|decode|v4l2|pipeline|webrtc|http)\//.test(f) || /^(hardware\/|cart\/(evdev-button|framebuffer-display|png-display)\.ts$)/.test(f));
    expect(drivers).toEqual([]);
    expect(reached).toContain('config/settings.ts');
  });
});

describe('audio.device: auto, none, or an ALSA capture device', () => {
  it.each([
    ['auto', 'auto'],
    ['none', 'none'],
    ['plughw:CARD=MS2109,DEV=0', 'plughw:CARD=MS2109,DEV=0'],
    ['hw:1,0', 'hw:1,0'],
    ['plughw:CARD=Loopback,DEV=1,SUBDEV=0', 'plughw:CARD=Loopback,DEV=1,SUBDEV=0'],
  ])('--audio %s is read as %s, and so is the file key', (written, value) => {
    expect(parseCli(['--audio', written]).config.audio.device).toBe(value);
    expect(applyConfigToml(`[audio]\ndevice = "${written}"`).config.audio.device).toBe(value);
  });

  it.each(['/dev/snd/pcmC1D0c', 'MS2109', '', 'hw:1,0; rm -rf /', 'off'])('"%s" is refused, saying what to write', (written) => {
    expect(() => parseCli(['--audio', written])).toThrow(/--audio must be one of "auto", "none" or an ALSA capture device such as "plughw:CARD=MS2109,DEV=0"/);
    const r = applyConfigToml(`[audio]\ndevice = "${written}"`);
    expect(r.problems.map((p) => p.message).join()).toMatch(/audio\.device must be one of "auto", "none"/);
    expect(r.config.audio.device).toBe('auto');
  });
});
