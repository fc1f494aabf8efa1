/**
 * The two mDNS messages the box needs to resolve a phone's `<uuid>.local` ICE candidates:
 * a query for A and AAAA records, and the addresses in a response. DNS message format
 * (RFC 1035 §4.1) as mDNS uses it (RFC 6762 §18):
 *
 *   header, 12 bytes:  ID(16) | QR(1) OPCODE(4) AA TC RD | RA Z AD CD RCODE(4) |
 *                      QDCOUNT(16) | ANCOUNT(16) | NSCOUNT(16) | ARCOUNT(16)
 *   question:          QNAME (labels) | QTYPE(16) | QU(1) QCLASS(15)
 *   resource record:   NAME | TYPE(16) | cache-flush(1) CLASS(15) | TTL(32) | RDLENGTH(16) | RDATA
 *
 * Names are length-prefixed labels ending in a zero byte, or ending in a 2-byte pointer
 * (top bits 11) to an earlier name (RFC 1035 §4.1.4). mDNS queries carry ID 0 (RFC 6762
 * §18.1); responders put their records in the answer section and often add the other
 * family's record in the additional section (§6.2), so both are read.
 */

export const MDNS_GROUP_V4 = '224.0.0.251';
export const MDNS_PORT = 5353;

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;

/** One address record read from a response. */
export interface AddressRecord {
  /** Lower case, without the trailing dot. */
  readonly name: string;
  readonly family: 4 | 6;
  readonly address: string;
}

function encodeName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.replace(/\.$/, '').split('.')) {
    const bytes = Buffer.from(label, 'utf8');
    if (bytes.length === 0 || bytes.length > 63) throw new RangeError(`DNS label of ${bytes.length} bytes in "${name}"`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/**
 * Pure: one query message asking for A and AAAA of every name, QM (multicast) questions,
 * so the phone answers to the group, where the box listens (RFC 6762 §5.4).
 */
export function encodeAddressQuery(names: readonly string[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(names.length * 2, 4);
  const questions: Buffer[] = [];
  for (const name of names) {
    const qname = encodeName(name);
    for (const type of [TYPE_A, TYPE_AAAA]) {
      const tail = Buffer.alloc(4);
      tail.writeUInt16BE(type, 0);
      tail.writeUInt16BE(CLASS_IN, 2);
      questions.push(qname, tail);
    }
  }
  return Buffer.concat([header, ...questions]);
}

/** Reads a (possibly compressed) name at `offset`; returns it and the offset after it. */
function readName(msg: Buffer, offset: number): { name: string; next: number } | undefined {
  const labels: string[] = [];
  let next: number | undefined;
  let at = offset;
  for (let jumps = 0; jumps < 32; ) {
    if (at >= msg.length) return undefined;
    const len = msg[at]!;
    if (len === 0) return { name: labels.join('.').toLowerCase(), next: next ?? at + 1 };
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= msg.length) return undefined;
      next ??= at + 2;
      at = ((len & 0x3f) << 8) | msg[at + 1]!;
      jumps++;
      continue;
    }
    if ((len & 0xc0) !== 0 || at + 1 + len > msg.length) return undefined;
    labels.push(msg.toString('utf8', at + 1, at + 1 + len));
    at += 1 + len;
  }
  return undefined; // a pointer loop
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes "::".
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

/**
 * Pure: the A and AAAA records of a response (QR bit set), from its answer and additional
 * sections; anything malformed ends the reading with what was read so far. Queries,
 * truncated headers and other record types give nothing.
 */
export function decodeAddressRecords(msg: Buffer): AddressRecord[] {
  if (msg.length < 12 || (msg[2]! & 0x80) === 0) return [];
  const qd = msg.readUInt16BE(4);
  const an = msg.readUInt16BE(6);
  const ns = msg.readUInt16BE(8);
  const ar = msg.readUInt16BE(10);
  let at = 12;
  for (let i = 0; i < qd; i++) {
    const q = readName(msg, at);
    if (!q) return [];
    at = q.next + 4;
  }
  const out: AddressRecord[] = [];
  for (let i = 0; i < an + ns + ar; i++) {
    const r = readName(msg, at);
    if (!r || r.next + 10 > msg.length) return out;
    const type = msg.readUInt16BE(r.next);
    const klass = msg.readUInt16BE(r.next + 2) & 0x7fff; // top bit: cache-flush (RFC 6762 §10.2)
    const rdlength = msg.readUInt16BE(r.next + 8);
    const rdata = r.next + 10;
    if (rdata + rdlength > msg.length) return out;
    const inAuthority = i >= an && i < an + ns; // probe records, not answers
    if (!inAuthority && klass === CLASS_IN) {
      if (type === TYPE_A && rdlength === 4) out.push({ name: r.name, family: 4, address: [...msg.subarray(rdata, rdata + 4)].join('.') });
      if (type === TYPE_AAAA && rdlength === 16) out.push({ name: r.name, family: 6, address: ipv6(msg.subarray(rdata, rdata + 16)) });
    }
    at = rdata + rdlength;
  }
  return out;
}
