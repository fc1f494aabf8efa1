/**
 * dnsmasq configuration for the hotspot's DHCP: a phone that joins gets an address in
 * 10.42.0.0/24 and reaches the box at a fixed 10.42.0.1. Pure; hotspot.ts writes it next
 * to hostapd.conf in the RAM-only runtime directory. Options per dnsmasq(8), 2.89.
 */
import { HotspotConfigError } from './hostapd-config.js';

/** The box's address on its own hotspot (the link's host in hotspot mode). */
export const HOTSPOT_GATEWAY = '10.42.0.1';
export const HOTSPOT_PREFIX = 24;

export interface DnsmasqSettings {
  readonly interface: string;
  /** The box's address on the interface; the pool is .10–.60 of the same /24. */
  readonly gateway: string;
  /** Lease time in seconds; short, as a session is short. */
  readonly leaseS: number;
}

/** The dnsmasq configuration text. Pure; throws HotspotConfigError. */
export function dnsmasqConfig(s: DnsmasqSettings): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.gateway);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) throw new HotspotConfigError(`the hotspot gateway must be an IPv4 address (got "${s.gateway}")`);
  if (!Number.isInteger(s.leaseS) || s.leaseS < 120) throw new HotspotConfigError(`the DHCP lease must be at least 120 s (got ${s.leaseS})`);
  const net = `${m[1]}.${m[2]}.${m[3]}`;
  const lines = [
    '# sonobox hotspot DHCP: generated per session, lives in RAM only.',
    `interface=${s.interface}`,
    'bind-interfaces',
    `listen-address=${s.gateway}`,
    // DHCP only: no DNS server (port 0), no upstream, no /etc/hosts.
    'port=0',
    'no-resolv',
    'no-hosts',
    `dhcp-range=${net}.10,${net}.60,255.255.255.0,${s.leaseS}`,
    // No router and no DNS offered: the phone keeps its mobile data for the internet and
    // reaches the box on-link; the box is not a way out.
    'dhcp-option=option:router',
    'dhcp-option=option:dns-server',
    'dhcp-authoritative',
    // Leases (a phone's MAC and name) stay in dnsmasq's memory: no lease file anywhere.
    'leasefile-ro',
    // No log line per DHCP exchange (they carry the phone's MAC and address).
    'quiet-dhcp',
    'quiet-dhcp6',
    'quiet-ra',
  ];
  return `${lines.join('\n')}\n`;
}
