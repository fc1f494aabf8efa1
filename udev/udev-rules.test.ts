/**
 * 99-sonobox.rules must parse cleanly in udev. `udevadm verify` exists only from systemd
 * 253 (Debian 12 has 252), so the rules are loaded the way udevd loads them: copied into
 * /run/udev/rules.d and run through `udevadm test` on a device every Linux host has
 * (/sys/class/mem/null). udevadm reports each bad line as "<file>:<line> <problem>".
 * Matching real devices (vivid capture, framebuffer, evdev) is tested in the QEMU guest:
 * hw-tests/udev-rules.hw.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const rules = readFileSync(new URL('99-sonobox.rules', import.meta.url), 'utf8');
const udevadm = spawnSync('udevadm', ['--version'], { encoding: 'utf8' });
const canRun = udevadm.status === 0 && process.getuid?.() === 0 && existsSync('/sys/class/mem/null');

/** Problems udevadm reported for one rules file, as "line: message". */
function problems(text: string): string[] {
  const dir = '/run/udev/rules.d';
  mkdirSync(dir, { recursive: true });
  const name = `99-sonobox-check-${process.pid}.rules`;
  const path = join(dir, name);
  writeFileSync(path, text);
  try {
    const r = spawnSync('udevadm', ['test', '--action=add', '/sys/class/mem/null'], { encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    expect(out, 'udevadm did not read the rules file').toContain(`Reading rules file: ${path}`);
    return out
      .split('\n')
      .filter((l) => l.startsWith(`${path}:`))
      .map((l) => l.slice(path.length + 1));
  } finally {
    rmSync(path, { force: true });
  }
}

describe.skipIf(!canRun)('udev/99-sonobox.rules (host syntax check)', () => {
  it('loads with no invalid key, unknown group or syntax error', () => {
    expect(problems(rules)).toEqual([]);
  });

  it.each([
    ['an invalid key', 'KERNEL=="x", BOGUS="1"\n', /Invalid key/],
    ['an unknown group', 'KERNEL=="x", GROUP="no-such-group-sonobox"\n', /Unknown group/],
  ])('would report %s (control case)', (_name, bad, message) => {
    expect(problems(rules + bad).join('\n')).toMatch(message);
  });

  it.each(['capture', 'encoder', 'decoder', 'button', 'display'])('names /dev/sonobox/%s', (name) => {
    expect(rules).toMatch(new RegExp(`^[^#].*SYMLINK\\+="sonobox/${name}"`, 'm'));
  });
});

// Registered only where it applies, so a machine that runs the real tests lists no skip.
if (!canRun) {
  describe('udev/99-sonobox.rules', () => {
    it.skip('skipped: needs root and udevadm (apt-get install udev) to load the rules', () => {});
  });
}
