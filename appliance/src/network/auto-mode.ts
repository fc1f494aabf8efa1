/**
 * network.mode = 'auto' (the appliance image's default, image-build/sonobox.toml): the box
 * opens its own hotspot when it can - a Wi-Fi interface and both hostapd and dnsmasq
 * installed - and otherwise serves on the clinic's network. The choice is made once at
 * start-up and logged with its reason. The CLI default stays 'clinic' (config.ts): a
 * developer's laptop must never have its Wi-Fi taken over by `npm start`.
 *
 * A Wi-Fi interface is one the kernel's cfg80211 marks: /sys/class/net/<if>/phy80211 (a
 * link to its wiphy) or /sys/class/net/<if>/wireless (the wireless-extensions directory).
 * Documented in Documentation/ABI/testing/sysfs-class-net and net/wireless/core.c.
 */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What start-up found on this board; probeWifi() gathers it, tests write it by hand. */
export interface WifiProbe {
  /** Network interfaces that are Wi-Fi, sorted by name. */
  readonly wirelessInterfaces: readonly string[];
  readonly hostapd: boolean;
  readonly dnsmasq: boolean;
}

export type AutoDecision =
  | { readonly mode: 'hotspot'; readonly interface: string; readonly reason: string }
  | { readonly mode: 'clinic'; readonly reason: string };

/**
 * Pure: the mode 'auto' resolves to. The configured interface (network.hotspot.interface,
 * default wlan0) is used when it is Wi-Fi; otherwise the first Wi-Fi interface by name
 * (a board whose radio udev names differently still gets its hotspot).
 */
export function chooseAutoMode(probe: WifiProbe, configuredInterface: string): AutoDecision {
  const iface = probe.wirelessInterfaces.includes(configuredInterface) ? configuredInterface : probe.wirelessInterfaces[0];
  if (iface === undefined) return { mode: 'clinic', reason: 'no Wi-Fi interface on this board' };
  const missing = [probe.hostapd ? undefined : 'hostapd', probe.dnsmasq ? undefined : 'dnsmasq'].filter((m) => m !== undefined);
  if (missing.length > 0) return { mode: 'clinic', reason: `Wi-Fi interface ${iface} found but ${missing.join(' and ')} not installed (apt-get install hostapd dnsmasq-base)` };
  const note = iface === configuredInterface ? '' : ` (configured ${configuredInterface} is not Wi-Fi)`;
  return { mode: 'hotspot', interface: iface, reason: `Wi-Fi interface ${iface}${note}, hostapd and dnsmasq installed` };
}

/** The one log line for the choice. */
export function describeAutoDecision(d: AutoDecision): string {
  return `network mode auto: ${d.mode} (${d.reason})`;
}

export interface ProbeOptions {
  /** Root of sysfs; tests pass a fake tree. Default /sys. */
  readonly sysRoot?: string;
  /** Search path for the programs; default $PATH plus /usr/sbin and /sbin. */
  readonly path?: string;
  /** Program names or paths (app deps.networkCommands); default hostapd, dnsmasq. */
  readonly commands?: { readonly hostapd?: string; readonly dnsmasq?: string };
}

/** Thin I/O: lists Wi-Fi interfaces under <sysRoot>/class/net and looks for the programs. */
export function probeWifi(o: ProbeOptions = {}): WifiProbe {
  const netDir = join(o.sysRoot ?? '/sys', 'class', 'net');
  let names: string[] = [];
  try {
    names = readdirSync(netDir);
  } catch {
    // No sysfs (a container without /sys): no Wi-Fi as far as we can tell.
  }
  const wirelessInterfaces = names.filter((n) => existsSync(join(netDir, n, 'phy80211')) || existsSync(join(netDir, n, 'wireless'))).sort();
  const path = o.path ?? `${process.env.PATH ?? ''}${delimiter}/usr/sbin${delimiter}/sbin`;
  return {
    wirelessInterfaces,
    hostapd: findProgram(o.commands?.hostapd ?? 'hostapd', path),
    dnsmasq: findProgram(o.commands?.dnsmasq ?? 'dnsmasq', path),
  };
}

/** True when `name` (a bare name searched in `path`, or a path) is an executable file. */
export function findProgram(name: string, path: string): boolean {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter((d) => d !== '').map((d) => join(d, name));
  return candidates.some((c) => {
    try {
      accessSync(c, constants.X_OK);
      return statSync(c).isFile();
    } catch {
      return false;
    }
  });
}
