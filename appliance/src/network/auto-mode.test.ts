import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseAutoMode, describeAutoDecision, probeWifi, type WifiProbe } from './auto-mode.js';
import { resolveNetworkConfig } from './network-mode.js';
import { defaultConfig } from '../config/config.js';

describe('chooseAutoMode', () => {
  const cases: { name: string; probe: WifiProbe; want: { mode: string; interface?: string; reason: RegExp } }[] = [
    { name: 'Pi with Wi-Fi and both programs', probe: { wirelessInterfaces: ['wlan0'], hostapd: true, dnsmasq: true }, want: { mode: 'hotspot', interface: 'wlan0', reason: /^Wi-Fi interface wlan0, hostapd and dnsmasq installed$/ } },
    { name: 'QEMU VM / wired-only board', probe: { wirelessInterfaces: [], hostapd: true, dnsmasq: true }, want: { mode: 'clinic', reason: /^no Wi-Fi interface on this board$/ } },
    { name: 'Wi-Fi but no hostapd', probe: { wirelessInterfaces: ['wlan0'], hostapd: false, dnsmasq: true }, want: { mode: 'clinic', reason: /wlan0 found but hostapd not installed/ } },
    { name: 'Wi-Fi but neither program', probe: { wirelessInterfaces: ['wlan0'], hostapd: false, dnsmasq: false }, want: { mode: 'clinic', reason: /hostapd and dnsmasq not installed \(apt-get install/ } },
    { name: 'radio under another name', probe: { wirelessInterfaces: ['wlp1s0', 'wlx00c0ca'], hostapd: true, dnsmasq: true }, want: { mode: 'hotspot', interface: 'wlp1s0', reason: /wlp1s0 \(configured wlan0 is not Wi-Fi\)/ } },
    { name: 'configured interface preferred over the first by name', probe: { wirelessInterfaces: ['wlan0', 'wlan1'], hostapd: true, dnsmasq: true }, want: { mode: 'hotspot', interface: 'wlan0', reason: /^Wi-Fi interface wlan0,/ } },
  ];
  it.each(cases)('$name', ({ probe, want }) => {
    const d = chooseAutoMode(probe, 'wlan0');
    expect(d.mode).toBe(want.mode);
    expect(d.mode === 'hotspot' ? d.interface : undefined).toBe(want.interface);
    expect(d.reason).toMatch(want.reason);
    expect(describeAutoDecision(d)).toBe(`network mode auto: ${want.mode} (${d.reason})`);
  });
});

describe('probeWifi on a fake /sys and PATH', () => {
  const root = mkdtempSync(join(tmpdir(), 'sonobox-sys-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const net = join(root, 'sys', 'class', 'net');
  const bin = join(root, 'bin');
  const iface = (name: string, marker?: 'phy80211' | 'wireless'): void => {
    mkdirSync(join(net, name), { recursive: true });
    writeFileSync(join(net, name, 'type'), '1\n');
    if (marker === 'wireless') mkdirSync(join(net, name, 'wireless'));
    if (marker === 'phy80211') symlinkSync('../../ieee80211/phy0', join(net, name, 'phy80211')); // dangling is fine: existsSync follows it
  };
  const program = (name: string, mode: number): void => {
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, name), '#!/bin/sh\n');
    chmodSync(join(bin, name), mode);
  };

  it('no sysfs at all: no Wi-Fi', () => {
    expect(probeWifi({ sysRoot: join(root, 'nowhere'), path: bin })).toEqual({ wirelessInterfaces: [], hostapd: false, dnsmasq: false });
  });

  it('finds interfaces by phy80211 or wireless, sorted, and only executable programs', () => {
    iface('lo');
    iface('eth0');
    iface('wlan1', 'wireless');
    iface('wlan0', 'phy80211');
    mkdirSync(join(root, 'sys', 'class', 'ieee80211', 'phy0'), { recursive: true }); // the link's target
    program('hostapd', 0o755);
    program('dnsmasq', 0o644); // not executable
    const p = probeWifi({ sysRoot: join(root, 'sys'), path: bin });
    expect(p).toEqual({ wirelessInterfaces: ['wlan0', 'wlan1'], hostapd: true, dnsmasq: false });
    expect(chooseAutoMode(p, 'wlan0').mode).toBe('clinic');
    chmodSync(join(bin, 'dnsmasq'), 0o755);
    expect(chooseAutoMode(probeWifi({ sysRoot: join(root, 'sys'), path: bin }), 'wlan0')).toMatchObject({ mode: 'hotspot', interface: 'wlan0' });
  });

  it('explicit program paths (deps.networkCommands) are checked as paths', () => {
    const p = probeWifi({ sysRoot: join(root, 'sys'), path: '', commands: { hostapd: join(bin, 'hostapd'), dnsmasq: join(bin, 'absent') } });
    expect([p.hostapd, p.dnsmasq]).toEqual([true, false]);
  });
});

describe('resolveNetworkConfig', () => {
  const logged: string[] = [];
  const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m) };
  it('auto without Wi-Fi: clinic, one line saying why', () => {
    logged.length = 0;
    const r = resolveNetworkConfig({ ...defaultConfig.network, mode: 'auto' }, { log, probe: () => ({ wirelessInterfaces: [], hostapd: true, dnsmasq: true }) });
    expect(r.mode).toBe('clinic');
    expect(logged).toEqual(['network mode auto: clinic (no Wi-Fi interface on this board)']);
  });
  it('auto with Wi-Fi under another name: hotspot on that interface', () => {
    logged.length = 0;
    const r = resolveNetworkConfig({ ...defaultConfig.network, mode: 'auto' }, { log, probe: () => ({ wirelessInterfaces: ['wlp2s0'], hostapd: true, dnsmasq: true }) });
    expect([r.mode, r.hotspot.interface]).toEqual(['hotspot', 'wlp2s0']);
    expect(logged).toHaveLength(1);
  });
  it('clinic and hotspot are taken as given, without probing', () => {
    logged.length = 0;
    const probe = (): WifiProbe => { throw new Error('must not probe'); };
    expect(resolveNetworkConfig(defaultConfig.network, { log, probe }).mode).toBe('clinic');
    expect(resolveNetworkConfig({ ...defaultConfig.network, mode: 'hotspot' }, { log, probe }).mode).toBe('hotspot');
    expect(logged).toEqual([]);
  });
  it('the CLI default stays clinic (a laptop never loses its Wi-Fi)', () => {
    expect(defaultConfig.network.mode).toBe('clinic');
  });
});
