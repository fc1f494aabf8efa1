import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { Config } from './config.js';
import { defaultConfig, validateConfig } from './config.js';
import { crossCheck, fileRows, settings } from './settings.js';

/**
 * The box's settings file, sonobox.toml (TOML 1.0, https://toml.io/en/v1.0.0), which sits
 * on the card's FAT boot partition so it can be edited on any PC. The template with every
 * key is image-build/sonobox.toml. Which keys exist, their ranges and defaults: settings.ts.
 *
 * Contract: a wrong value never stops the box. Each key is checked on its own; a bad one
 * becomes a ConfigProblem (shown on the cart display and logged) and the box keeps the
 * default for it — except the privacy settings (a row with `unusable`: the mask preset),
 * which fail closed: the box sends no picture until the value is fixed, because the
 * default could be weaker than what the file asked for. Unknown keys are warnings (a typo
 * in a key name is a problem the engineer should see, but not a reason to run with less).
 * A file the box cannot read at all — not TOML, an I/O error, its boot partition not
 * mounted — is one problem: every privacy setting fails closed and the others keep their
 * defaults. Priority: defaults < this file < command-line flags (main.ts).
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

type Table = Record<string, unknown>;

/** `base` with every privacy setting at its fail-closed value (what an unreadable file gives). */
export function failClosed(base: Config): Config {
  const c = structuredClone(base);
  for (const s of settings) if (s.unusable) s.set(c, s.unusable.value);
  return c;
}
const failClosedSays = 'until it is fixed no picture is sent, and the other settings keep their defaults';

/**
 * The image leaves this file on the read-only root's empty /boot/firmware, where the FAT
 * boot partition is mounted over it: seen beside SONOBOX_CONFIG, the partition is not mounted
 * (image-build/build.sh, image-build/README.md).
 */
export const NOT_MOUNTED_MARKER = 'sonobox-boot-partition-not-mounted';
const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);

const sectionOf = (key: string): string => (key.includes('.') ? key.slice(0, key.indexOf('.')) : '');
/** The file's sections, in table order ('' = top level). */
const sections = [...new Set([...fileRows.keys()].map(sectionOf))];
const keysIn = (section: string): string[] => [...fileRows.keys()].filter((k) => sectionOf(k) === section);

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
      config: failClosed(base),
      problems: [{ key: fileName, message: `${fileName} is not valid TOML${where}: ${what}; ${failClosedSays}.` }],
      warnings,
    };
  }
  const c = structuredClone(base);
  const apply = (section: string, key: string, value: unknown): void => {
    const name = section ? `${section}.${key}` : key;
    const row = fileRows.get(name);
    if (!row) {
      const known = keysIn(section);
      warnings.push(`${fileName}: unknown setting ${name} ignored${known.length ? ` (known here: ${known.join(', ')})` : ''}`);
      return;
    }
    const r = row.kind.read(value, 'file', row.file!.scale ?? 1);
    if (r.ok) {
      row.set(c, r.value);
    } else if (row.unusable) {
      row.set(c, row.unusable.value);
      problems.push({ key: name, message: `${name} ${r.why}; ${row.unusable.says}.` });
    } else {
      problems.push({ key: name, message: `${name} ${r.why}; using the default.` });
    }
  };
  for (const [key, value] of Object.entries(doc)) {
    const isSection = key !== '' && sections.includes(key);
    if (isTable(value)) {
      if (!isSection) {
        warnings.push(`${fileName}: unknown section [${key}] ignored (known: ${sections.filter(Boolean).map((s) => `[${s}]`).join(', ')})`);
        continue;
      }
      for (const [k, v] of Object.entries(value)) apply(key, k, v);
    } else if (isSection) {
      problems.push({ key, message: `${key} must be a section written [${key}] on its own line, with its settings below it; using the defaults.` });
    } else {
      apply('', key, value);
    }
  }
  // HTTPS needs all three TLS settings; with only some, none are used.
  if (crossCheck(c)) {
    c.network.clinic = structuredClone(base.network.clinic);
    problems.push({ key: 'network.tls_cert', message: 'network.tls_cert needs tls_key and tls_hostname beside it: write all three for HTTPS, or none; using plain HTTP.' });
  }
  // Each key was checked by its row; this catches a row whose file reading and checking disagree.
  try {
    return { config: validateConfig(c), problems, warnings };
  } catch (e) {
    problems.push({ key: fileName, message: `${e instanceof Error ? e.message : String(e)}; ${failClosedSays}.` });
    return { config: failClosed(base), problems, warnings };
  }
}

/**
 * Reads the settings file at `path`. A missing file is a warning (a development machine
 * has none; the safe defaults apply); an unreadable one, or one whose boot partition is
 * not mounted, is a problem and fails closed. The thin I/O wrapper around applyConfigToml.
 */
export function readConfigFile(path: string, base: Config = defaultConfig): ConfigFileResult {
  const fileName = path.split('/').pop() || path;
  if (existsSync(join(dirname(path), NOT_MOUNTED_MARKER))) {
    return {
      config: failClosed(base),
      problems: [{ key: fileName, message: `the SD card's boot partition (SONOBOOT, which holds ${fileName}) is not mounted, so the settings cannot be read; ${failClosedSays}. Check the card's first partition on a PC, then restart the box.` }],
      warnings: [],
    };
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { config: structuredClone(base), problems: [], warnings: [`no settings file at ${path}; using the defaults`] };
    return {
      config: failClosed(base),
      problems: [{ key: fileName, message: `${path} could not be read (${code ?? String(e)}); ${failClosedSays}.` }],
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
