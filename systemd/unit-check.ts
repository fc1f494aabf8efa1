/**
 * Checks systemd's own tools run on our unit files (units are code: STYLE.md rule 12):
 * `systemd-analyze verify` with the complaints an older host's systemd makes about keys
 * the image's systemd knows filtered out, and the `systemd-analyze security` exposure.
 * Used by the unit tests beside each unit.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll } from 'vitest';

/** The host's systemd version, or undefined when systemd-analyze is not installed. */
export function systemdVersion(): number | undefined {
  const r = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  const m = /^systemd (\d+)/.exec(r.stdout ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Keys newer than an older host's systemd knows; trixie (257) has them all. */
const keysSince: Record<string, number> = { RestartSteps: 254, RestartMaxDelaySec: 254 };

/** Parses "Overall exposure level for x.service: 1.7 OK" into its number and word. */
export function parseExposure(text: string): { score: number; level: string } | undefined {
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?) (\w+)/.exec(text);
  return m ? { score: Number(m[1]), level: m[2]! } : undefined;
}

/** `systemd-analyze security --offline` of a unit file: its exposure, and the raw text. */
export function securityExposure(path: string): { exposure: ReturnType<typeof parseExposure>; text: string } {
  const r = spawnSync('systemd-analyze', ['security', '--offline=yes', '--no-pager', path], { encoding: 'utf8' });
  const text = `${r.stdout}${r.stderr}`;
  return { exposure: parseExposure(text), text };
}

/** systemd-analyze verify's complaints about a unit file, minus unknown-but-newer keys. */
export function verifyUnit(path: string): string[] {
  const version = systemdVersion();
  const r = spawnSync('systemd-analyze', ['verify', path], { encoding: 'utf8' });
  const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim() !== '');
  return lines.filter((l) => {
    const m = /Unknown key '(\w+)'/.exec(l) ?? /Unknown key name '(\w+)'/.exec(l);
    const since = m ? keysSince[m[1]!] : undefined;
    return !(since !== undefined && version !== undefined && version < since);
  });
}

/**
 * Writes `text` as `work/<name>` with /opt/sonobox/systemd/ pointing at copies (in
 * work/systemd, executable) of the named scripts from `fromDir`, so verify finds the
 * ExecStart programs the unit names. Returns the unit's path.
 */
export function stageUnit(work: string, name: string, text: string, fromDir: string, scripts: readonly string[]): string {
  const dir = join(work, 'systemd');
  mkdirSync(dir, { recursive: true });
  for (const s of scripts) {
    copyFileSync(join(fromDir, s), join(dir, s));
    chmodSync(join(dir, s), 0o755);
  }
  const path = join(work, name);
  writeFileSync(path, text.replaceAll('/opt/sonobox/systemd/', `${dir}/`));
  return path;
}

/** The unit's lines that are not comments, for declaration checks. */
export function effectiveLines(unitText: string): string {
  return unitText.split('\n').filter((l) => !l.startsWith('#')).join('\n');
}

/**
 * The unit file `name` from `dir`, and a function that stages it (or a variant of its
 * text) with stageUnit() into a temporary directory removed after the test file.
 */
export function unitUnderTest(dir: string, name: string, scripts: readonly string[]): { text: string; staged: (text?: string) => string } {
  const text = readFileSync(join(dir, name), 'utf8');
  const work = mkdtempSync(join(tmpdir(), `${name}-`));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  return { text, staged: (t = text) => stageUnit(work, name, t, dir, scripts) };
}
