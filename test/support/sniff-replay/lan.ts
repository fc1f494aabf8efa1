/**
 * A LAN of network namespaces for sniff-and-replay tests: one namespace per host (the box,
 * the phone, a stranger…), each with one veth into a bridge that lives in a namespace of its
 * own. Nothing is created in the machine's own namespace, and no address outside these
 * namespaces is reachable from them. Every name carries the caller's prefix (its short name),
 * so tests running at the same time never collide.
 *
 *   <prefix>-<host>  ns: <prefix>-h<i> = 10.x.y.(i+1)/24 ──veth── <prefix>-b<i> ─┐
 *   <prefix>-lan     ns: bridge <prefix>-br ──────────────────────────────────────┘
 *
 * Needs root and iproute2 (both are there in CI).
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface LanHost {
  readonly name: string;
  /** The host's network namespace. */
  readonly ns: string;
  /** Its one interface (the capture point for tcpdump). */
  readonly iface: string;
  readonly address: string;
  /** argv that runs a command inside this host's namespace. */
  argv(command: readonly string[]): string[];
}

export interface Lan {
  readonly hosts: Readonly<Record<string, LanHost>>;
  /** Deletes every namespace (and with them their interfaces). Idempotent. */
  destroy(): void;
}

const ip = (...args: string[]): void => {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
};

/** Builds the LAN; `subnet` is the first three octets. Leftovers of a crashed run are removed first. */
export function createLan(prefix: string, hostNames: readonly string[], subnet = '10.231.0'): Lan {
  if (!/^[a-z0-9-]{1,9}$/.test(prefix)) throw new Error(`LAN prefix "${prefix}" must be 1-9 of [a-z0-9-], so interface names stay within 15 characters`);
  if (process.getuid?.() !== 0) throw new Error('Network namespaces need root: run the sniff-and-replay tests as root (CI does).');
  const lanNs = `${prefix}-lan`;
  const namespaces = [lanNs, ...hostNames.map((h) => `${prefix}-${h}`)];
  const destroy = (): void => {
    for (const ns of namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  destroy();
  try {
    ip('netns', 'add', lanNs);
    ip('-n', lanNs, 'link', 'set', 'lo', 'up');
    ip('-n', lanNs, 'link', 'add', `${prefix}-br`, 'type', 'bridge');
    ip('-n', lanNs, 'link', 'set', `${prefix}-br`, 'up');
    const hosts: Record<string, LanHost> = {};
    hostNames.forEach((name, i) => {
      const ns = `${prefix}-${name}`;
      const iface = `${prefix}-h${i}`;
      const address = `${subnet}.${i + 1}`;
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', lanNs, 'link', 'add', `${prefix}-b${i}`, 'type', 'veth', 'peer', 'name', iface, 'netns', ns);
      ip('-n', lanNs, 'link', 'set', `${prefix}-b${i}`, 'master', `${prefix}-br`, 'up');
      ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', iface);
      ip('-n', ns, 'link', 'set', iface, 'up');
      hosts[name] = { name, ns, iface, address, argv: (command) => ['ip', 'netns', 'exec', ns, ...command] };
    });
    return { hosts, destroy };
  } catch (err) {
    destroy();
    throw err;
  }
}
