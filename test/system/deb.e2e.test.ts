/**
 * The JetPack .deb (image-build/deb/build-deb.sh), built for this host's arch: control
 * fields, the files it installs (and the devDependencies it must not), the unit with the
 * Jetson drop-in accepted by systemd-analyze verify, and maintainer scripts that parse.
 * Installing it on a real Jetson is not covered here (see image-build/README.md).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = new URL('../..', import.meta.url).pathname;
const has = (tool: string): boolean => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const missing = ['dpkg-deb', 'systemd-analyze', 'make', 'pkg-config'].filter((t) => !has(t));
const arch = has('dpkg') ? execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim() : '';
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const work = mkdtempSync(join(tmpdir(), 'sonobox-deb-'));
const deb = join(work, `sonobox_${version}_${arch}.deb`);
const root = join(work, 'root');
let listing = '';
afterAll(() => rmSync(work, { recursive: true, force: true }));

function systemdVersion(): number {
  const m = /^systemd (\d+)/.exec(spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).stdout ?? '');
  return m ? Number(m[1]) : 0;
}
/** systemd-analyze verify's complaints, minus keys newer than this host's systemd. */
function verify(unit: string): string[] {
  const keysSince: Record<string, number> = { RestartSteps: 254, RestartMaxDelaySec: 254 };
  const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.split('\n').filter((l) => {
    if (l.trim() === '') return false;
    const key = /Unknown key '(\w+)'/.exec(l)?.[1];
    const since = key ? keysSince[key] : undefined;
    return !(since !== undefined && systemdVersion() < since);
  });
}

describe.skipIf(missing.length > 0)(`sonobox .deb (skipped: missing ${missing.join(', ') || 'nothing'})`, () => {
  beforeAll(() => {
    execFileSync(join(repo, 'image-build/deb/build-deb.sh'), ['--arch', arch, '--out', work], { cwd: repo, stdio: 'pipe' });
    listing = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8', maxBuffer: 64 << 20 });
    execFileSync('dpkg-deb', ['-R', deb, root]);
  }, 110_000);

  it('has the control fields JetPack needs', () => {
    const info = execFileSync('dpkg-deb', ['--info', deb], { encoding: 'utf8' });
    expect(info).toMatch(/^ Package: sonobox$/m);
    expect(info).toMatch(new RegExp(`^ Version: ${version.replaceAll('.', '\\.')}$`, 'm'));
    expect(info).toMatch(new RegExp(`^ Architecture: ${arch}$`, 'm'));
    expect(info).toMatch(/^ Depends: nodejs \(>= 20\.19\) \| nodejs-20, ffmpeg, libx264-164 \| libx264-dev, libopus0, libasound2 \| libasound2t64, systemd, udev$/m);
    expect(info).toMatch(/^ Installed-Size: \d+$/m);
    expect(readFileSync(join(root, 'DEBIAN/conffiles'), 'utf8').trim()).toBe('/etc/sonobox/sonobox.toml');
  });

  const files: [string, string][] = [
    ['unit', './lib/systemd/system/sonobox.service'],
    ['Jetson drop-in', './lib/systemd/system/sonobox.service.d/jetson.conf'],
    ['sysusers', './usr/lib/sysusers.d/sonobox.conf'],
    ['udev rules', './lib/udev/rules.d/99-sonobox.rules'],
    ['conffile', './etc/sonobox/sonobox.toml'],
    ['transpiled entry point', './opt/sonobox/appliance/src/main.js'],
    ['launcher', './opt/sonobox/systemd/sonobox-launch'],
    ['x264 helper', './opt/sonobox/appliance/native/x264-pipe'],
    ['Opus helper', './opt/sonobox/appliance/native/opus-pipe'],
    ['viewer page', './opt/sonobox/web-ui/dist/index.html'],
    ['a production dependency', './opt/sonobox/node_modules/werift/package.json'],
  ];
  it.each(files)('installs the %s (%s)', (_name, path) => {
    expect(listing).toMatch(new RegExp(` ${path.replaceAll('.', '\\.')}$`, 'm'));
  });

  it('ships no devDependency and no TypeScript source of ours', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const dev = Object.keys(pkg.devDependencies);
    expect(dev).toEqual(expect.arrayContaining(['vitest', 'playwright-core']));
    for (const name of dev) expect(listing, name).not.toContain(` ./opt/sonobox/node_modules/${name}/`);
    expect(listing).not.toMatch(/ \.\/opt\/sonobox\/appliance\/src\/\S+\.ts$/m);
  });

  it('the x264 helper is an executable for this arch, the launcher is executable', () => {
    const helper = join(root, 'opt/sonobox/appliance/native/x264-pipe');
    const elf = readFileSync(helper);
    expect(elf.subarray(0, 4)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
    const machine = elf.readUInt16LE(18); // e_machine: 62 x86-64, 183 AArch64
    expect(machine).toBe(arch === 'arm64' ? 183 : 62);
    expect(listing).toMatch(/^-rwxr-xr-x root\/root .* \.\/opt\/sonobox\/systemd\/sonobox-launch$/m);
  });

  it('the unit drops the Pi boot-partition mount; the drop-in points at /etc/sonobox', () => {
    const unit = readFileSync(join(root, 'lib/systemd/system/sonobox.service'), 'utf8');
    expect(unit).not.toMatch(/boot-firmware\.mount/);
    expect(unit).toMatch(/^ExecStart=\/opt\/sonobox\/systemd\/sonobox-launch/m);
    const dropIn = readFileSync(join(root, 'lib/systemd/system/sonobox.service.d/jetson.conf'), 'utf8');
    expect(dropIn).toMatch(/^Environment=SONOBOX_CONFIG=\/etc\/sonobox\/sonobox\.toml$/m);
  });

  it('systemd-analyze verify accepts the unit with the drop-in applied', () => {
    // ExecStart must exist for verify: point it at the extracted launcher.
    const unitPath = join(root, 'lib/systemd/system/sonobox.service');
    writeFileSync(unitPath, readFileSync(unitPath, 'utf8').replaceAll('/opt/sonobox/', `${join(root, 'opt/sonobox')}/`));
    expect(verify(unitPath)).toEqual([]);
    // Control: a bad key in a second drop-in is reported, so drop-ins are really read.
    const bad = join(root, 'lib/systemd/system/sonobox.service.d/zz-control.conf');
    writeFileSync(bad, '[Service]\nNotARealKey=1\n');
    expect(verify(unitPath).join('\n')).toMatch(/zz-control\.conf.*NotARealKey/);
    rmSync(bad);
  });

  it.each(['postinst', 'prerm', 'postrm'])('maintainer script %s is executable, set -e, and parses (sh -n)', (s) => {
    const path = join(root, 'DEBIAN', s);
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path, 'utf8')).toMatch(/^#!\/bin\/sh\n(#.*\n)*set -e$/m);
    expect(spawnSync('sh', ['-n', path]).status).toBe(0);
    // Control: sh -n does catch a syntax error.
    const broken = join(work, `${s}-broken`);
    writeFileSync(broken, `${readFileSync(path, 'utf8')}\nif true; then\n`);
    chmodSync(broken, 0o755);
    expect(spawnSync('sh', ['-n', broken]).status).not.toBe(0);
  });

  it('refuses a foreign-arch build with what to do instead', () => {
    const other = arch === 'arm64' ? 'amd64' : 'arm64';
    const r = spawnSync(join(repo, 'image-build/deb/build-deb.sh'), ['--arch', other, '--out', work], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/on the Jetson itself|chroot/);
    expect(readdirSync(work).filter((f) => f.endsWith('.deb'))).toEqual([`sonobox_${version}_${arch}.deb`]);
  });
});
