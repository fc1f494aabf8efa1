/**
 * Reads a libpcap capture (pcap-savefile(5): the format `tcpdump -w` writes) and puts
 * its TCP connections back together: per connection, the bytes the client sent and the
 * bytes the server sent, in order, retransmissions folded in. IPv4 and IPv6 over Ethernet
 * (LINKTYPE_ETHERNET) or Linux cooked capture (LINKTYPE_LINUX_SLL, `-i any`).
 */

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface TcpConnection {
  /** The side that sent the SYN. */
  readonly client: Endpoint;
  readonly server: Endpoint;
  /** Capture time of the SYN, seconds since the epoch (ordering only). */
  readonly startedAt: number;
  readonly toServer: Buffer;
  readonly toClient: Buffer;
}

interface Segment {
  readonly time: number;
  readonly src: Endpoint;
  readonly dst: Endpoint;
  readonly seq: number;
  readonly syn: boolean;
  readonly payload: Buffer;
}

/** Every TCP segment in the capture, in capture order. */
function segments(pcap: Buffer): Segment[] {
  if (pcap.length < 24) throw new Error(`Not a pcap capture: ${pcap.length} bytes, shorter than the 24-byte header`);
  const magic = pcap.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && pcap.readUInt32BE(0) !== 0xa1b2c3d4 && pcap.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('Not a pcap capture (bad magic); write it with tcpdump -w');
  const u32 = (at: number): number => (le ? pcap.readUInt32LE(at) : pcap.readUInt32BE(at));
  const nano = (le ? magic : pcap.readUInt32BE(0)) === 0xa1b23c4d;
  const linkType = u32(20) & 0x0fffffff;
  if (linkType !== 1 && linkType !== 113) throw new Error(`Unsupported pcap link type ${linkType} (Ethernet or Linux cooked expected)`);
  const out: Segment[] = [];
  for (let at = 24; at + 16 <= pcap.length; ) {
    const time = u32(at) + u32(at + 4) / (nano ? 1e9 : 1e6);
    const captured = u32(at + 8);
    const frame = pcap.subarray(at + 16, at + 16 + captured);
    at += 16 + captured;
    const l2 = linkType === 1 ? 14 : 16;
    if (frame.length < l2) continue;
    const etherType = frame.readUInt16BE(l2 - 2);
    const s = etherType === 0x0800 ? ipv4(frame.subarray(l2), time) : etherType === 0x86dd ? ipv6(frame.subarray(l2), time) : null;
    if (s) out.push(s);
  }
  return out;
}

function ipv4(p: Buffer, time: number): Segment | null {
  if (p.length < 20 || p[0]! >> 4 !== 4 || p[9] !== 6) return null;
  const headerLength = (p[0]! & 0x0f) * 4;
  const total = p.readUInt16BE(2);
  const addr = (at: number): string => [...p.subarray(at, at + 4)].join('.');
  return tcp(p.subarray(headerLength, total), addr(12), addr(16), time);
}

function ipv6(p: Buffer, time: number): Segment | null {
  // Extension headers are not followed: test traffic has none.
  if (p.length < 40 || p[0]! >> 4 !== 6 || p[6] !== 6) return null;
  const addr = (at: number): string => Array.from({ length: 8 }, (_, i) => p.readUInt16BE(at + 2 * i).toString(16)).join(':');
  return tcp(p.subarray(40, 40 + p.readUInt16BE(4)), addr(8), addr(24), time);
}

function tcp(t: Buffer, srcAddress: string, dstAddress: string, time: number): Segment | null {
  if (t.length < 20) return null;
  const dataOffset = (t[12]! >> 4) * 4;
  return {
    time,
    src: { address: srcAddress, port: t.readUInt16BE(0) },
    dst: { address: dstAddress, port: t.readUInt16BE(2) },
    seq: t.readUInt32BE(4),
    syn: (t[13]! & 0x02) !== 0,
    payload: t.subarray(dataOffset),
  };
}

const key = (a: Endpoint, b: Endpoint): string => `${a.address}/${a.port}>${b.address}/${b.port}`;

/** One direction's bytes, by sequence number from its SYN, up to the first hole. */
function assemble(isn: number | undefined, parts: readonly Segment[]): Buffer {
  if (isn === undefined) return Buffer.alloc(0);
  const chunks = new Map<number, Buffer>();
  for (const s of parts) {
    if (s.payload.length === 0) continue;
    const offset = (s.seq - (isn + 1)) >>> 0; // sequence numbers wrap at 2^32
    const known = chunks.get(offset);
    if (!known || known.length < s.payload.length) chunks.set(offset, s.payload);
  }
  const out: Buffer[] = [];
  let at = 0;
  for (const offset of [...chunks.keys()].sort((a, b) => a - b)) {
    const c = chunks.get(offset)!;
    if (offset > at) break; // a hole: the capture missed a segment
    if (offset + c.length > at) out.push(c.subarray(at - offset));
    at = Math.max(at, offset + c.length);
  }
  return Buffer.concat(out);
}

/** The capture's TCP connections that began inside it (SYN seen), in the order they began. */
export function tcpConnections(pcap: Buffer): TcpConnection[] {
  const all = segments(pcap);
  const byDirection = new Map<string, Segment[]>();
  const isn = new Map<string, number>();
  const opened: Segment[] = [];
  for (const s of all) {
    const k = key(s.src, s.dst);
    if (s.syn && !isn.has(k)) {
      isn.set(k, s.seq);
      // A SYN without the peer's SYN before it opens a connection; the SYN-ACK answers one.
      if (!isn.has(key(s.dst, s.src))) opened.push(s);
    }
    const list = byDirection.get(k) ?? [];
    list.push(s);
    byDirection.set(k, list);
  }
  return opened.map((syn) => {
    const up = key(syn.src, syn.dst);
    const down = key(syn.dst, syn.src);
    return {
      client: syn.src,
      server: syn.dst,
      startedAt: syn.time,
      toServer: assemble(isn.get(up), byDirection.get(up) ?? []),
      toClient: assemble(isn.get(down), byDirection.get(down) ?? []),
    };
  });
}
