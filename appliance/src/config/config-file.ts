import { readFileSync } from 'node:fs';
import { parse, TomlError } from 'smol-toml';
import { keyCodes } from '../cart/evdev.js';
import type { Language } from '../cart/messages.js';
import { languages } from '../cart/messages.js';
import { activePreset, WITHHOLD_ALL } from '../mask/mask-presets.js';
import type { HotspotSettings } from '../network/hostapd-config.js';
import { validateHotspotSettings } from '../network/hostapd-config.js';
import type { Config } from './config.js';
import { ConfigError, defaultConfig, parseSize, validateConfig } from './config.js';

/**
 * The box's settings file, sonobox.toml (TOML 1.0, https://toml.io/en/v1.0.0), which sits
 * on the card's FAT boot partition so it can be edited on any PC. The template with every
 * key is image-build/sonobox.toml.
 *
 * Contract: a wrong value never stops the box. Each key is checked on its own; a bad one
 * becomes a ConfigProblem (shown on the cart display and logged) and the box keeps the
 * default for it. Unknown keys are warnings (a typo in a key name is a problem the
 * engineer should see, but not a reason to run with less). A file that is not TOML at
 * all is one problem, and every setting keeps its default. Priority: defaults < this
 * file < command-line flags (main.ts).
 */

/** One value the box could not use: the key (as written in the file) and what to write. */
export interface ConfigProblem {
  /** "button.key", or "sonobox.toml" for the file as a whole. */
  readonly key: string;
  /** One English sentence naming the key, what was found and what to write instead. */
  readonly message: string;
}

export interface ConfigFileResult {
  readonly config: Config;
  readonly problems: readonly ConfigProblem[];
  /** Unknown keys and sections (ignored), and a missing file. */
  readonly warnings: readonly string[];
}

/**
 * Names a button can be given in button.key, with their input-event-codes.h values.
 * Any other key is written as its number (e.g. key = 30 for KEY_A).
 */
export const buttonKeyNames: Readonly<Record<string, number>> = {
  ...keyCodes,
  KEY_ESC: 1,
  KEY_1: 2,
  KEY_A: 30,
  KEY_B: 48,
  KEY_PAGEUP: 104,
  KEY_PAGEDOWN: 109,
  KEY_PLAY: 207,
  KEY_PLAYPAUSE: 164,
  KEY_PROG1: 148,
  KEY_PROG2: 149,
  KEY_F13: 183,
  KEY_F14: 184,
  KEY_F15: 185,
  BTN_0: 0x100,
  BTN_1: 0x101,
  BTN_LEFT: 0x110,
  BTN_TRIGGER: 0x120,
};
/** KEY_MAX in input-event-codes.h. */
const keyMax = 0x2ff;

type Table = Record<string, unknown>;
type Setter = (value: unknown, c: Config) => string | undefined;

const show = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : typeof v === 'object' ? 'a table' : String(v));

/** A whole number within [min, max] applied by `set`, or the sentence saying what to write. */
const wholeNumber = (min: number, max: number, example: number, set: (n: number, c: Config) => void): Setter => (v, c) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    return `must be a whole number from ${min} to ${max}, e.g. ${example} (got ${show(v)})`;
  }
  set(v, c);
  return undefined;
};

const oneOf = (choices: readonly string[], set: (s: string, c: Config) => void, alsoPath?: string): Setter => (v, c) => {
  if (typeof v === 'string' && (choices.includes(v) || (alsoPath !== undefined && v.startsWith(alsoPath) && v.length > alsoPath.length))) {
    set(v, c);
    return undefined;
  }
  const list = choices.map((s) => `"${s}"`).join(', ');
  return `must be one of ${list}${alsoPath ? ` or a device path starting with ${alsoPath}` : ''} (got ${show(v)})`;
};

/**
 * Every key the file may hold, by section ('' = top level), each mapped onto Config.
 */
const schema: Record<string, Record<string, Setter>> = {
  '': {
    language: oneOf(languages, (s, c) => { c.cart.language = s as Language; }),
  },
  display: {
    // "none": no physical display; the screen is kept in memory only (/api/cart.png).
    device: oneOf(['auto', 'none'], (s, c) => { c.cart.display = s === 'none' ? 'png' : s; }, '/dev/'),
  },
  button: {
    key: (v, c) => {
      const code = typeof v === 'string' ? buttonKeyNames[v.toUpperCase()] : v;
      if (typeof code === 'number' && Number.isInteger(code) && code > 0 && code <= keyMax) {
        c.cart.buttonKeyCode = code;
        return undefined;
      }
      return `must be an evdev key name such as "KEY_ENTER", "KEY_SPACE", "KEY_PROG1", "KEY_F13", "BTN_0", or a key number from 1 to ${keyMax} (got ${show(v)})`;
    },
    device: oneOf(['auto', 'none'], (s, c) => { c.cart.button = s === 'none' ? 'terminal' : s; }, '/dev/'),
  },
  session: {
    max_viewers: wholeNumber(1, 16, 2, (n, c) => { c.session.maxViewers = n; }),
    link_ttl_s: wholeNumber(10, 86_400, 600, (n, c) => { c.session.linkTtlMs = n * 1000; }),
    max_duration_min: wholeNumber(1, 24 * 60, 60, (n, c) => { c.cart.maxSessionMs = n * 60_000; }),
  },
  source: {
    device: oneOf(['auto', 'test-pattern'], (s, c) => { c.source.spec = s; }, '/dev/'),
    size: (v, c) => {
      try {
        if (typeof v !== 'string') throw new ConfigError('');
        const s = parseSize(v);
        if (s.width < 16 || s.width > 4096 || s.height < 16 || s.height > 2160 || s.width % 2 || s.height % 2) throw new ConfigError('');
        Object.assign(c.source, s);
        return undefined;
      } catch {
        return `must be an even width and height such as "1280x720" or "1920x1080" (got ${show(v)})`;
      }
    },
    fps: wholeNumber(1, 120, 30, (n, c) => { c.source.fps = n; }),
  },
  encoder: {
    device: oneOf(['auto', 'software'], (s, c) => { c.encoder.spec = s; }, '/dev/'),
    bitrate_kbps: wholeNumber(100, 50_000, 4000, (n, c) => { c.encoder.bitrateBps = n * 1000; }),
  },
  http: {
    port: wholeNumber(1, 65_535, 8080, (n, c) => { c.http.port = n; }),
    public_host: (v, c) => {
      if (typeof v === 'string' && /^[A-Za-z0-9.:[\]-]*$/.test(v)) {
        c.http.publicHost = v;
        return undefined;
      }
      return `must be a host name or address such as "sonobox.local" or "192.168.1.20", or "" for the box's own address (got ${show(v)})`;
    },
  },
  network: {
    mode: oneOf(['clinic', 'hotspot', 'auto'], (s, c) => { c.network.mode = s as Config['network']['mode']; }),
    wifi_ssid: hotspot('ssid', (v) => v),
    wifi_channel: hotspot('channel', (v) => v),
    wifi_country: hotspot('countryCode', (v) => (typeof v === 'string' ? v.toUpperCase() : v)),
    wifi_interface: hotspot('interface', (v) => v),
    // HTTPS on the clinic network: PEM files, e.g. on the boot partition. All three or none
    // (checked once the section is read, see clinicTls below).
    tls_cert: tlsFile('certFile'),
    tls_key: tlsFile('keyFile'),
    tls_hostname: tlsFile('hostname'),
  },
  mask: {
    preset: (v, c) => {
      try {
        if (typeof v !== 'string') throw new ConfigError(`mask.preset must be a preset name in quotes (got ${show(v)})`);
        activePreset(v); // throws ConfigError listing the known presets
        c.mask.preset = v;
        return undefined;
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        // Fail closed: with an unusable preset the box withholds every frame (viewers see
        // the slate) rather than stream the scanner unmasked; the cart shows the problem.
        c.mask.preset = WITHHOLD_ALL;
        return `${e.message.replace(/^mask\.preset /, '')}; until it is fixed no picture is sent`;
      }
    },
  },
};

/** A hotspot setting, checked with the same rules hostapd-config.ts applies. */
function hotspot<K extends keyof HotspotSettings>(field: K, convert: (v: unknown) => unknown): Setter {
  return (v, c) => {
    const next = { ...c.network.hotspot, [field]: convert(v) } as HotspotSettings;
    try {
      validateHotspotSettings(next);
    } catch (e) {
      return `is not usable: ${(e as Error).message} (got ${show(v)})`;
    }
    c.network.hotspot = next;
    return undefined;
  };
}

function tlsFile(field: 'certFile' | 'keyFile' | 'hostname'): Setter {
  return (v, c) => {
    if (typeof v !== 'string' || v === '') return `must be ${field === 'hostname' ? 'a host name such as "sonobox.clinic.example"' : 'a file path such as "/boot/firmware/sonobox.pem"'} in quotes (got ${show(v)})`;
    c.network.clinic = { ...c.network.clinic, [field]: v };
    return undefined;
  };
}

/** HTTPS needs all three TLS settings; with only some, none are used. */
function clinicTls(c: Config, base: Config): ConfigProblem | undefined {
  const t = c.network.clinic;
  const given = [t.certFile, t.keyFile, t.hostname].filter((v) => v !== undefined && v !== '').length;
  if (given === 0 || given === 3) return undefined;
  c.network.clinic = structuredClone(base.network.clinic);
  return { key: 'network.tls_cert', message: 'network.tls_cert needs tls_key and tls_hostname beside it: write all three for HTTPS, or none; using plain HTTP.' };
}

const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** Applies the TOML text onto `base`. Pure: never throws, never touches a file. */
export function applyConfigToml(text: string, base: Config = defaultConfig, fileName = 'sonobox.toml'): ConfigFileResult {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  let doc: Table;
  try {
    doc = parse(text);
  } catch (e) {
    const where = e instanceof TomlError ? ` at line ${e.line}, column ${e.column}` : '';
    const what = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return {
      config: structuredClone(base),
      problems: [{ key: fileName, message: `${fileName} is not valid TOML${where}: ${what}. Every setting keeps its default until it is fixed.` }],
      warnings,
    };
  }
  const c = structuredClone(base);
  const apply = (section: string, key: string, value: unknown): void => {
    const name = section ? `${section}.${key}` : key;
    const setter = schema[section]?.[key];
    if (!setter) {
      const known = Object.keys(schema[section] ?? {}).map((k) => (section ? `${section}.${k}` : k));
      warnings.push(`${fileName}: unknown setting ${name} ignored${known.length ? ` (known here: ${known.join(', ')})` : ''}`);
      return;
    }
    const why = setter(value, c);
    if (why) problems.push({ key: name, message: `${name} ${why}; using the default.` });
  };
  for (const [key, value] of Object.entries(doc)) {
    if (isTable(value)) {
      if (!(key in schema) || key === '') {
        warnings.push(`${fileName}: unknown section [${key}] ignored (known: ${Object.keys(schema).filter(Boolean).map((s) => `[${s}]`).join(', ')})`);
        continue;
      }
      for (const [k, v] of Object.entries(value)) apply(key, k, v);
    } else if (key in schema && key !== '') {
      problems.push({ key, message: `${key} must be a section written [${key}] on its own line, with its settings below it; using the defaults.` });
    } else {
      apply('', key, value);
    }
  }
  const tls = clinicTls(c, base);
  if (tls) problems.push(tls);
  // The per-key checks above mirror validateConfig's ranges; this catches any drift.
  try {
    return { config: validateConfig(c), problems, warnings };
  } catch (e) {
    problems.push({ key: fileName, message: `${e instanceof Error ? e.message : String(e)}; every setting keeps its default.` });
    return { config: structuredClone(base), problems, warnings };
  }
}

/**
 * Reads the settings file at `path`. A missing file is a warning (a development machine
 * has none); an unreadable one is a problem. The thin I/O wrapper around applyConfigToml.
 */
export function readConfigFile(path: string, base: Config = defaultConfig): ConfigFileResult {
  const fileName = path.split('/').pop() || path;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { config: structuredClone(base), problems: [], warnings: [`no settings file at ${path}; using the defaults`] };
    return {
      config: structuredClone(base),
      problems: [{ key: fileName, message: `${path} could not be read (${code ?? String(e)}); every setting keeps its default.` }],
      warnings: [],
    };
  }
  return applyConfigToml(text, base, fileName);
}

/** Characters of a problem the cart screen shows; the log has every problem in full. */
const screenChars = 200;

/**
 * The text the cart's error screen shows for these problems: the first one (cut to fit a
 * 320x240 panel), and how many more the log holds. Undefined when there is none.
 */
export function problemSummary(problems: readonly ConfigProblem[]): string | undefined {
  const first = problems[0];
  if (!first) return undefined;
  const text = first.message.length > screenChars ? `${first.message.slice(0, screenChars - 1)}…` : first.message;
  return problems.length > 1 ? `${text} (+${problems.length - 1} more in the log)` : text;
}
