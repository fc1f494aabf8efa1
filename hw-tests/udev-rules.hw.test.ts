/**
 * udev/99-sonobox.rules against real device nodes: vivid's capture node (the QEMU guest of
 * hw-tests/emulated/run.sh, or a board with vivid loaded) must get /dev/sonobox/capture, and
 * a framebuffer (run.sh --vga) /dev/sonobox/display, both group video, mode 0660.
 * The rules are loaded the way udevd loads them (/run/udev/rules.d) and evaluated with
 * `udevadm test`, which prints the resulting properties (DEVLINKS=...) without applying them.
 *
 *   bash hw-tests/emulated/run.sh --vga -- node node_modules/vitest/vitest.mjs run \
 *     --config hw-tests/vitest.hw.config.ts hw-tests/udev-rules.hw.test.ts
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const rulesSource = new URL('../udev/99-sonobox.rules', import.meta.url).pathname;
const installed = '/run/udev/rules.d/99-sonobox.rules';

/** The sysfs path of the first vivid node that can capture, if any. */
function vividCaptureNode(): string | undefined {
  const base = '/sys/class/video4linux';
  if (!existsSync(base)) return undefined;
  for (const n of readdirSync(base).sort()) {
    const name = readFileSync(join(base, n, 'name'), 'utf8').trim();
    const index = readFileSync(join(base, n, 'index'), 'utf8').trim();
    if (name.startsWith('vivid') && name.includes('vid-cap') && index === '0') return join(base, n);
  }
  return undefined;
}

/** Properties udev would give the device, from `udevadm test`'s closing property list. */
function udevTest(syspath: string): { props: Map<string, string>; out: string } {
  const r = spawnSync('udevadm', ['test', '--action=add', syspath], { encoding: 'utf8' });
  const out = `${r.stdout}${r.stderr}`;
  const props = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) props.set(m[1]!, m[2]!);
  }
  return { props, out };
}

const udevadm = spawnSync('udevadm', ['--version']).status === 0;
const capture = vividCaptureNode();
const fb = existsSync('/sys/class/graphics/fb0') ? '/sys/class/graphics/fb0' : undefined;

beforeAll(() => {
  if (!udevadm) return;
  mkdirSync('/run/udev/rules.d', { recursive: true });
  copyFileSync(rulesSource, installed);
});
afterAll(() => rmSync(installed, { force: true }));

describe('udev/99-sonobox.rules on real devices', () => {
  it.skipIf(!udevadm || !capture)(`vivid capture node gets /dev/sonobox/capture${capture ? '' : ' (skipped: no vivid capture node; run in hw-tests/emulated/run.sh)'}`, () => {
    const { props, out } = udevTest(capture!);
    expect(out).toContain(`Reading rules file: ${installed}`);
    expect(props.get('ID_V4L_CAPABILITIES')).toContain(':capture:');
    expect(props.get('DEVLINKS')?.split(' '), out.slice(-1500)).toContain('/dev/sonobox/capture');
    expect(out).toMatch(/99-sonobox\.rules:\d+ GROUP \d+/);
    expect(out).toMatch(/99-sonobox\.rules:\d+ MODE 0660/);
  });

  it.skipIf(!udevadm || !capture)('a vivid node is not taken for an encoder or a button', () => {
    const { props } = udevTest(capture!);
    const links = props.get('DEVLINKS')?.split(' ') ?? [];
    expect(links.filter((l) => l.startsWith('/dev/sonobox/'))).toEqual(['/dev/sonobox/capture']);
  });

  it.skipIf(!udevadm || !fb)(`framebuffer gets /dev/sonobox/display${fb ? '' : ' (skipped: no /dev/fb0; run.sh --vga adds one)'}`, () => {
    const { props, out } = udevTest(fb!);
    expect(props.get('DEVLINKS')?.split(' '), out.slice(-1500)).toContain('/dev/sonobox/display');
  });
});
