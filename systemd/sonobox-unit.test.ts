/**
 * sonobox.service is code: systemd's own checker must accept it, and its sandbox must rate
 * "OK" or better in `systemd-analyze security` (exposure below 4.0 on systemd's 0–10 scale).
 * Uses the host's systemd-analyze; the QEMU boot test (test/system/) repeats both checks
 * inside the image, with trixie's systemd.
 */
import { describe, expect, it } from 'vitest';
import { effectiveLines, securityExposure, systemdVersion, unitUnderTest, verifyUnit } from './unit-check.js';

const version = systemdVersion();
/** The unit as installed, except that ExecStart points at the launcher in this checkout. */
const { text: unitText, staged: stagedUnit } = unitUnderTest(new URL('.', import.meta.url).pathname, 'sonobox.service', ['sonobox-launch']);

describe.skipIf(version === undefined)('systemd/sonobox.service', () => {
  it('passes systemd-analyze verify with no complaint', () => {
    expect(verifyUnit(stagedUnit())).toEqual([]);
  });

  it('verify would catch a broken unit (control case)', () => {
    const broken = stagedUnit(unitText.replace('Type=notify', 'Type=notifyy'));
    expect(verifyUnit(broken).join('\n')).toMatch(/service type/);
  });

  it('rates exposure "OK" or better (< 4.0) in systemd-analyze security', () => {
    const { exposure, text } = securityExposure(stagedUnit());
    expect(exposure, text.slice(-400)).toBeDefined();
    expect(exposure!.score).toBeLessThan(4.0);
    expect(['OK', 'SAFE']).toContain(exposure!.level);
  });

  it('the security score would notice a sandbox removed (control case)', () => {
    const loose = unitText
      .split('\n')
      .filter((l) => !/^(Protect|Private|Restrict|SystemCall|Capability|DevicePolicy|NoNewPrivileges|User=)/.test(l))
      .join('\n');
    expect(securityExposure(stagedUnit(loose)).exposure!.score).toBeGreaterThan(6);
  });

  it.each([
    ['Type=notify', /^Type=notify$/m],
    ['NotifyAccess=all (systemd-notify is a child process)', /^NotifyAccess=all$/m],
    ['a watchdog', /^WatchdogSec=\d+s$/m],
    ['restarts forever', /^Restart=always$/m],
    // Only what the hotspot's children (hostapd, dnsmasq, ip) need, handed to them as ambient capabilities.
    ['only the three network capabilities', /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE\nAmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE$/m],
    ['still no new privileges (no setuid helpers)', /^NoNewPrivileges=yes$/m],
    ['packet sockets for hostapd (EAPOL), nothing more exotic', /^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK AF_PACKET$/m],
    ['the hotspot files only on tmpfs', /^RuntimeDirectory=sonobox\nRuntimeDirectoryMode=0700$/m],
    ['closed device policy', /^DevicePolicy=closed$/m],
    ['only capture/codec, framebuffer, input and ALSA devices', /^DeviceAllow=char-video4linux rw\nDeviceAllow=char-fb rw\nDeviceAllow=char-input r\nDeviceAllow=char-alsa rw\nDeviceAllow=\/dev\/console w\nDeviceAllow=\/dev\/rfkill r$/m],
    ['an unprivileged user', /^User=sonobox$/m],
    ['the groups that own capture, input and sound devices', /^SupplementaryGroups=video input audio$/m],
    ['a memory cap', /^MemoryMax=\d+M$/m],
  ])('declares %s', (_name, pattern) => {
    expect(effectiveLines(unitText)).toMatch(pattern);
  });
});

// Registered only where it applies, so a machine that runs the real tests lists no skip.
if (version === undefined) {
  describe('systemd/sonobox.service', () => {
    it.skip('skipped: systemd-analyze not installed (apt-get install systemd)', () => {});
  });
}
