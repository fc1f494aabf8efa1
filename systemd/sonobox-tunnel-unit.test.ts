/**
 * sonobox-tunnel.service and its launcher are code: systemd's checker must accept the
 * unit, its sandbox must rate well, and the launcher must refuse a half-configured box
 * with a message that says what to copy where. The tunnel itself, against a real relay
 * sshd in network namespaces, is test/relay/relay.e2e.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { effectiveLines, securityExposure, systemdVersion, unitUnderTest, verifyUnit } from './unit-check.js';

const here = new URL('.', import.meta.url).pathname;
const launcher = join(here, 'sonobox-tunnel-launch');
const version = systemdVersion();
const { text: unitText, staged: stagedUnit } = unitUnderTest(here, 'sonobox-tunnel.service', ['sonobox-tunnel-launch']);
const work = mkdtempSync(join(tmpdir(), 'sonobox-tunnel-launch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(version === undefined)('systemd/sonobox-tunnel.service', () => {
  it('passes systemd-analyze verify with no complaint', () => {
    expect(verifyUnit(stagedUnit())).toEqual([]);
  });

  it('verify would catch a broken unit (control case)', () => {
    expect(verifyUnit(stagedUnit(unitText.replace('Type=exec', 'Type=execc'))).join('\n')).toMatch(/service type/);
  });

  it('rates exposure "OK" or better in systemd-analyze security, and better than the main unit', () => {
    const { exposure, text } = securityExposure(stagedUnit());
    expect(exposure, text.slice(-400)).toBeDefined();
    // The main unit rates 1.7: it needs network capabilities and device nodes; this needs neither.
    expect(exposure!.score).toBeLessThan(1.7);
    expect(['OK', 'SAFE']).toContain(exposure!.level);
  });

  it.each([
    ['skipped without remote configuration', /^ConditionPathExists=\/boot\/firmware\/sonobox-relay\/tunnel\.env$/m],
    ['its settings from the boot partition', /^EnvironmentFile=\/boot\/firmware\/sonobox-relay\/tunnel\.env$/m],
    ['the key and the pinned relay host key as credentials', /^LoadCredential=id_ed25519:\/boot\/firmware\/sonobox-relay\/id_ed25519\nLoadCredential=known_hosts:\/boot\/firmware\/sonobox-relay\/known_hosts$/m],
    ['restarts forever, never rate-limited into giving up', /^Restart=always$[\s\S]*^StartLimitIntervalSec=0$|^StartLimitIntervalSec=0$[\s\S]*^Restart=always$/m],
    ['a growing back-off', /^RestartSec=2s\nRestartSteps=5\nRestartMaxDelaySec=30s$/m],
    ['a static unprivileged user (for the egress rule)', /^User=sonobox-tunnel$/m],
    ['no capabilities at all', /^CapabilityBoundingSet=\nAmbientCapabilities=$/m],
    ['only IP and unix sockets', /^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$/m],
    ['no core dumps (the key)', /^LimitCORE=0$/m],
  ])('declares %s', (_name, pattern) => {
    expect(effectiveLines(unitText)).toMatch(pattern);
  });
});

if (version === undefined) {
  describe('systemd/sonobox-tunnel.service', () => {
    it.skip('skipped: systemd-analyze not installed (apt-get install systemd)', () => {});
  });
}

describe('systemd/sonobox-tunnel-launch', () => {
  const creds = mkdtempSync(join(work, 'creds-'));
  writeFileSync(join(creds, 'id_ed25519'), 'not a key\n');
  writeFileSync(join(creds, 'known_hosts'), 'sonobox-relay ssh-ed25519 AAAA\n');
  const good = { RELAY_HOST: 'relay.clinic.example', TUNNEL_PORT: '20001', BOX_ID: 'room1', CREDENTIALS_DIRECTORY: creds };
  const run = (env: Record<string, string | undefined>): { status: number | null; stderr: string } => {
    const r = spawnSync('/bin/sh', [launcher], { env: { PATH: '/nonexistent', ...env } as NodeJS.ProcessEnv, encoding: 'utf8', timeout: 10_000 });
    return { status: r.status, stderr: r.stderr };
  };

  it.each([
    ['no RELAY_HOST', { RELAY_HOST: undefined }, /RELAY_HOST is not set; copy tunnel.env for this box from the relay/],
    ['no TUNNEL_PORT', { TUNNEL_PORT: undefined }, /TUNNEL_PORT is not set/],
    ['not started by systemd', { CREDENTIALS_DIRECTORY: undefined }, /run it from sonobox-tunnel.service/],
    ['a host name with an option in it', { RELAY_HOST: '-oProxyCommand=x' }, /is not a DNS name/],
    ['a port outside the box range', { TUNNEL_PORT: '22' }, /must be the box's port from relay.conf, 20000-29999/],
    ['a target off the box', { TUNNEL_TARGET: '192.168.1.5:80' }, /must stay on this box/],
    ['a missing key', { CREDENTIALS_DIRECTORY: work }, /id_ed25519 is missing from the boot partition's sonobox-relay\/ folder/],
  ])('refuses %s, saying what to fix', (_name, change, message) => {
    const r = run({ ...good, ...change });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(message);
  });

  it('with everything in place it gets as far as exec-ing ssh (control case)', () => {
    // PATH has no ssh, so the exec itself fails: proof every check before it passed.
    const r = run(good);
    expect(r.stderr).toMatch(/connecting box room1 to relay\.clinic\.example:443 \(relay port 20001 -> 127\.0\.0\.1:8081\)/);
    expect(r.stderr).toMatch(/ssh: not found/);
  });
});

const shellcheck = spawnSync('shellcheck', ['--version'], { timeout: 10_000 }).status === 0;
describe.skipIf(!shellcheck)('systemd/sonobox-tunnel-launch', () => {
  it('passes shellcheck as POSIX sh', () => {
    const r = spawnSync('shellcheck', ['--shell=sh', launcher], { encoding: 'utf8', timeout: 30_000 });
    expect(r.stdout, r.stdout).toBe('');
    expect(r.status).toBe(0);
  });
});
if (!shellcheck) {
  describe('systemd/sonobox-tunnel-launch', () => {
    it.skip('skipped: shellcheck not installed (npm run setup installs .ci/apt-packages.d/relay.txt)', () => {});
  });
}
