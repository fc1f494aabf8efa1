/**
 * The command line (`npm start -- …`, the unit's ExecStart): flags from the settings table
 * (settings.ts) on top of a base configuration, plus the few switches that are about this
 * run rather than a setting. `--help` is generated from the same rows.
 */
import { ConfigError } from './config-error.js';
import { defaultConfig, validateConfig, type Config } from './config.js';
import { presence } from './setting-kinds.js';
import { flagRows, settings, type Setting } from './settings.js';

export interface CliOptions {
  config: Config;
  /** Start a session (and print its link) as soon as the box is up. */
  startSession: boolean;
  help: boolean;
  /** Print the link even when stdout is the journal (systemd): off by default there. */
  printLink: boolean;
}

type Switch = 'startSession' | 'help' | 'printLink';

/** Flags that are about this run, not settings; same shape as a table row for --help. */
const switches: readonly { readonly flag: string; readonly alias?: string; readonly sets: Switch; readonly to: boolean; readonly help: string }[] = [
  { flag: '--print-link', sets: 'printLink', to: true, help: 'print the link even under systemd (where stdout goes to the journal)' },
  { flag: '--no-session', sets: 'startSession', to: false, help: 'do not start a session at launch (wait for the button or POST /api/session)' },
  { flag: '--help', alias: '-h', sets: 'help', to: true, help: 'this text' },
];

const column = 24;
const line = (left: string, help: string): string => `  ${left.padEnd(column - 3)} ${help}`;

/** One --help line for a row: flag, argument, help, default and what is valid. */
function usageLine(s: Setting): string {
  const f = s.flag!;
  const scale = f.scale ?? 1;
  const dflt = s.kind.show(s.default, scale, 'flag');
  // Choices are in the argument already; a range is worth its few characters.
  const range = /from (\d+) to (\d+)/.exec(s.kind.describe(scale));
  const facts = [dflt === '' ? undefined : `default ${dflt}`, range ? `${range[1]}–${range[2]}` : undefined].filter(Boolean).join('; ');
  return line(`${f.name}${f.arg ? ` ${f.arg}` : ''}`, `${s.help}${facts ? ` (${facts})` : ''}`);
}

export const cliUsage = ['Usage: npm start -- [options]', ...settings.filter((s) => s.flag).map(usageLine), ...switches.map((w) => line(w.flag, w.help))].join('\n');

/** Applies command-line flags on top of a base configuration. Throws ConfigError. */
export function parseCli(argv: readonly string[], base: Config = defaultConfig): CliOptions {
  const c: Config = structuredClone(base);
  const out = { startSession: true, help: false, printLink: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const w = switches.find((x) => x.flag === arg || x.alias === arg);
    if (w) {
      out[w.sets] = w.to;
      continue;
    }
    const row = flagRows.get(arg);
    if (!row) throw new ConfigError(`unknown option "${arg}"; see --help`);
    const value = row.kind === presence ? true : argv[++i];
    if (value === undefined) throw new ConfigError(`${arg} needs a value; see --help`);
    const r = row.kind.read(value, 'flag', row.flag!.scale ?? 1);
    if (!r.ok) throw new ConfigError(`${arg} ${r.why}`);
    // A repeatable flag adds to the list.
    row.set(c, row.flag!.repeatable ? [...(row.get(c) as unknown[]), ...(r.value as unknown[])] : r.value);
  }
  return { config: validateConfig(c), ...out };
}
