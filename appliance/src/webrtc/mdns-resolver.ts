/**
 * MdnsResolver asks the phone's mDNS responder for the addresses behind its `<uuid>.local`
 * ICE candidates (RFC 6762; draft-ietf-mmusic-mdns-ice-candidates §3.2). One socket for
 * the whole box, open only while look-ups are pending: bound to 5353 with SO_REUSEADDR
 * (RFC 6762 §15.1: several responders and queriers share the port), joined to 224.0.0.251
 * on every IPv4 interface, and each query sent out of every interface in turn, because
 * the phone may be on any of them (the hotspot's wlan0 has no default route).
 *
 * Names are random per browser session and mean nothing once the viewer is gone: nothing
 * is cached, and only counts are logged (never a name or an address).
 */
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { decodeAddressRecords, encodeAddressQuery, MDNS_GROUP_V4, MDNS_PORT, type AddressRecord } from './mdns-message.js';

export interface MdnsResolverOptions {
  /** IPv4 addresses of the interfaces to query on; default every non-internal one. */
  readonly interfaces?: () => string[];
  /** How long a look-up waits for its answers; default 5000 ms (queries at 0, 1 and 3 s, RFC 6762 §5.2). */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

interface Lookup {
  readonly names: ReadonlySet<string>;
  readonly found: Map<string, AddressRecord[]>;
  readonly done: () => void;
}

/** Every non-internal IPv4 address of this machine. */
export function ipv4Interfaces(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

export class MdnsResolver {
  private socket: Promise<Socket | undefined> | undefined;
  private readonly lookups = new Set<Lookup>();
  /** resolve() calls in progress; the socket closes when the last one ends. */
  private active = 0;
  private warned = false;

  constructor(private readonly options: MdnsResolverOptions = {}) {}

  /**
   * Resolves every name it can within the time-out: a map from name to its A/AAAA
   * records (names nobody answered are absent). Never rejects.
   */
  async resolve(names: readonly string[]): Promise<Map<string, AddressRecord[]>> {
    const wanted = new Set(names.map((n) => n.toLowerCase().replace(/\.$/, '')));
    const found = new Map<string, AddressRecord[]>();
    if (wanted.size === 0) return found;
    this.active++;
    try {
      await this.lookup(wanted, found);
    } finally {
      if (--this.active === 0) this.close();
    }
    return found;
  }

  private async lookup(wanted: ReadonlySet<string>, found: Map<string, AddressRecord[]>): Promise<void> {
    const socket = await this.open();
    if (!socket) return;
    const interfaces = (this.options.interfaces ?? ipv4Interfaces)();
    const query = encodeAddressQuery([...wanted]);
    await new Promise<void>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      const lookup: Lookup = {
        names: wanted,
        found,
        done: () => {
          for (const t of timers) clearTimeout(t);
          this.lookups.delete(lookup);
          resolve();
        },
      };
      this.lookups.add(lookup);
      void this.sendOnEach(socket, query, interfaces);
      // Retransmissions: Firefox answers for its names only once its ICE agent runs, i.e.
      // after it has applied the box's answer (measured: no reply before, a reply after),
      // and a responder may still be probing a fresh name (RFC 6762 §8.1).
      for (const at of [1000, 3000]) timers.push(setTimeout(() => void this.sendOnEach(socket, query, interfaces), at));
      timers.push(setTimeout(lookup.done, this.options.timeoutMs ?? 5000));
    });
  }

  /** Closes the socket (a later resolve() opens it again). */
  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    void socket?.then((s) => s?.close());
    for (const lookup of [...this.lookups]) lookup.done();
  }

  private open(): Promise<Socket | undefined> {
    this.socket ??= new Promise((resolve) => {
      const socket = createSocket({ type: 'udp4', reuseAddr: true });
      socket.once('error', (error) => {
        this.warnOnce(`mDNS: cannot listen on UDP ${MDNS_PORT} (${(error as NodeJS.ErrnoException).code ?? error.message}); .local ICE candidates rely on the phone's own checks`);
        socket.close();
        this.socket = undefined;
        resolve(undefined);
      });
      socket.on('message', (msg) => this.onMessage(msg));
      socket.bind(MDNS_PORT, () => {
        socket.removeAllListeners('error');
        socket.on('error', () => undefined); // send errors are per interface; the time-out covers them
        socket.unref();
        socket.setMulticastTTL(255); // RFC 6762 §11
        for (const address of (this.options.interfaces ?? ipv4Interfaces)()) {
          try {
            socket.addMembership(MDNS_GROUP_V4, address);
          } catch {
            // already a member, or the interface went away
          }
        }
        resolve(socket);
      });
    });
    return this.socket;
  }

  /** setMulticastInterface applies when the datagram leaves, so each send waits for the last. */
  private async sendOnEach(socket: Socket, query: Buffer, interfaces: readonly string[]): Promise<void> {
    for (const address of interfaces) {
      try {
        socket.setMulticastInterface(address);
        await new Promise<void>((resolve) => socket.send(query, MDNS_PORT, MDNS_GROUP_V4, () => resolve()));
      } catch {
        // socket closed, or the interface went away
      }
    }
  }

  private onMessage(msg: Buffer): void {
    const records = decodeAddressRecords(msg);
    if (records.length === 0) return;
    for (const lookup of [...this.lookups]) {
      for (const r of records) {
        if (!lookup.names.has(r.name)) continue;
        const list = lookup.found.get(r.name) ?? [];
        if (!list.some((x) => x.address === r.address)) list.push(r);
        lookup.found.set(r.name, list);
      }
      if (lookup.found.size === lookup.names.size) lookup.done();
    }
  }

  private warnOnce(line: string): void {
    if (this.warned) return;
    this.warned = true;
    this.options.log?.(line);
  }
}
