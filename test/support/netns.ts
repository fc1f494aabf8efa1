/**
 * A box and a phone on their own little LAN: two network namespaces joined by a veth pair,
 * each end with an IPv4 address, a ULA IPv6 address and its automatic IPv6 link-local
 * address, and a default route through the other end, as a phone on a clinic's Wi-Fi has
 * one through the router. Both matter: Chromium gathers ICE candidates only on the
 * default-route interface unless the page holds a camera permission (RFC 8828 mode 2), and
 * mDNS (RFC 6762, 224.0.0.251:5353) needs a route to its group. Neither namespace forwards,
 * so nothing reaches the machine's own network or the Internet.
 *
 * Names carry the short name `sb-br` (test/README rule: no collision with other engineers'
 * tests) and a per-pair tag; interface names stay within IFNAMSIZ (15). The veth ends are
 * not named `veth*`: werift ignores such interfaces when it gathers (ice/src/internal/
 * selectAddresses.js banNetworks), and a phone-facing box interface is eth0 or wlan0.
 *
 * Needs root (CI runs as root); `netnsUnavailable()` says why not, for a loud skip.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsEnd {
  /** Namespace name (`ip netns exec <ns> …`). */
  readonly ns: string;
  readonly ifname: string;
  readonly ipv4: string;
  /** Unique local address (RFC 4193). */
  readonly ipv6: string;
}

export interface NetnsPair {
  readonly box: NetnsEnd;
  readonly phone: NetnsEnd;
  /** Runs `command` inside a namespace (argv form, no shell). */
  spawnIn(end: NetnsEnd, command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Runs a command inside a namespace and returns its stdout. */
  execIn(end: NetnsEnd, command: string, args: readonly string[]): string;
  /**
   * Starts counting packets `end` sends to anything but the other end (and the link's own
   * multicast, 224.0.0.0/24 and ff02::/16: mDNS, its IGMP/MLD membership reports, IPv6
   * neighbour discovery, none of which a router forwards): a box that talks only to its
   * phone counts 0.
   * Returns a reader of the count.
   */
  countForeignEgress(end: NetnsEnd): () => number;
  /**
   * Drops DTLS (RFC 7983 §7: first byte 20..63) arriving at `end`, letting STUN through:
   * ICE completes and DTLS never does. Returns the undo.
   */
  dropInboundDtls(end: NetnsEnd): () => void;
  /** Deletes both namespaces (the veth pair goes with them). Idempotent. */
  close(): void;
}

const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Why namespaces cannot be made here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root (CI runs as root)';
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch {
    return 'iproute2 (ip) is not installed';
  }
  return undefined;
}

/**
 * Creates the pair. `tag` (a few letters) names it in `ip netns list`; a random suffix keeps
 * two runs apart. Subnets are private to the pair: 10.77.0.0/24 and fd77::/64.
 */
export function createNetnsPair(tag: string): NetnsPair {
  const id = randomBytes(2).toString('hex');
  const box: NetnsEnd = { ns: `sb-br-${tag}-${id}-box`, ifname: `sb-br-${id}b`, ipv4: '10.77.0.1', ipv6: 'fd77::1' };
  const phone: NetnsEnd = { ns: `sb-br-${tag}-${id}-phone`, ifname: `sb-br-${id}p`, ipv4: '10.77.0.2', ipv6: 'fd77::2' };
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const end of [box, phone]) {
      try {
        ip('netns', 'del', end.ns);
      } catch {
        // already gone
      }
    }
  };
  try {
    for (const end of [box, phone]) ip('netns', 'add', end.ns);
    ip('link', 'add', box.ifname, 'netns', box.ns, 'type', 'veth', 'peer', 'name', phone.ifname, 'netns', phone.ns);
    for (const end of [box, phone]) {
      const inNs = (...args: string[]): string => ip('-n', end.ns, ...args);
      // No duplicate address detection: a tentative address cannot be bound for ~2 s.
      execFileSync('ip', ['netns', 'exec', end.ns, 'sysctl', '-qw', `net.ipv6.conf.${end.ifname}.accept_dad=0`]);
      inNs('link', 'set', 'lo', 'up');
      inNs('addr', 'add', `${end.ipv4}/24`, 'dev', end.ifname);
      inNs('-6', 'addr', 'add', `${end.ipv6}/64`, 'dev', end.ifname, 'nodad');
      inNs('link', 'set', end.ifname, 'up');
    }
    for (const [end, other] of [[box, phone], [phone, box]] as const) {
      ip('-n', end.ns, 'route', 'add', 'default', 'via', other.ipv4, 'dev', end.ifname);
      ip('-n', end.ns, '-6', 'route', 'add', 'default', 'via', other.ipv6, 'dev', end.ifname);
    }
  } catch (error) {
    close();
    throw error;
  }
  const nft = (end: NetnsEnd, ruleset: string): void => {
    execFileSync('ip', ['netns', 'exec', end.ns, 'nft', '-f', '-'], { input: ruleset });
  };
  return {
    box,
    phone,
    countForeignEgress(end) {
      const other = end === box ? phone : box;
      nft(end, `table inet sbbr_egress {
        chain output {
          type filter hook output priority 0; policy accept;
          oifname "lo" return
          ip daddr { ${other.ipv4}, 224.0.0.0/24 } return
          ip6 daddr { ${other.ipv6}, fe80::/10, ff02::/16 } return
          counter
        }
      }`);
      return () => {
        const json = execFileSync('ip', ['netns', 'exec', end.ns, 'nft', '-j', 'list', 'chain', 'inet', 'sbbr_egress', 'output'], { encoding: 'utf8' });
        return Number(/"counter": \{"packets": (\d+)/.exec(json)?.[1] ?? NaN);
      };
    },
    dropInboundDtls(end) {
      // @th,64,8: the first byte after the 8-byte UDP header (nft raw payload expression).
      nft(end, `table inet sbbr_dtls {
        chain input {
          type filter hook input priority 0; policy accept;
          meta l4proto udp @th,64,8 20-63 drop
        }
      }`);
      return () => execFileSync('ip', ['netns', 'exec', end.ns, 'nft', 'delete', 'table', 'inet', 'sbbr_dtls']);
    },
    spawnIn: (end, command, args, options) => spawn('ip', ['netns', 'exec', end.ns, command, ...args], options ?? {}),
    execIn: (end, command, args) => execFileSync('ip', ['netns', 'exec', end.ns, command, ...args], { encoding: 'utf8' }),
    close,
  };
}
