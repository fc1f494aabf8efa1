/**
 * Admits a UDP datagram to werift's DTLS/SRTP stack only from the viewer's ICE-selected
 * address; drops unauthenticated STUN requests.
 *
 * Why: werift's StunProtocol.datagramReceived (node_modules/werift/lib/ice/src/stun/
 * protocol.js) passes every non-STUN datagram to ICE's onData *without its source
 * address*, and the DTLS transport takes whatever it gets (transport/dtls.js
 * IceTransport). A third party that can reach the box's UDP port can then inject a
 * DTLS ClientHello right after ICE completes and hijack or wedge the handshake: the
 * published "DTLS ClientHello race" denial of service (Enable Security, 2024; RFC 8445
 * §7.3.1.2 / RFC 8842 require media to flow only on the selected pair). werift also
 * answers and learns peer-reflexive candidates from binding requests whose
 * MESSAGE-INTEGRITY it never checks (ice.js ensureProtocol → checkIncoming).
 *
 * The rule, per datagram (RFC 7983 §7 demultiplexing on the first byte):
 *   - STUN (0..3): a request must carry USERNAME `<our ufrag>:…` and a valid
 *     MESSAGE-INTEGRITY keyed with our ICE password (RFC 8445 §7.3, RFC 5389 §10.1.2);
 *     its source then counts as authenticated. Responses pass (werift checks them
 *     against the transaction's key).
 *   - anything else (DTLS 20..63, SRTP/SRTCP 128..191, junk): only from an address that
 *     proved it holds the ICE credentials: it sent an authenticated request, or it is
 *     the remote of a pair whose check succeeded, or of the nominated pair. Not only
 *     the nominated pair: RFC 8445 §12.1 has an agent accept media on any valid pair,
 *     and werift peers were measured here sending DTLS on their own selected pair
 *     (192.0.2.2:p) while the box had nominated another (127.0.0.1:p). What defeats the
 *     race is that a third party cannot prove the credentials, whatever its timing.
 */
import { parseMessage, type RTCPeerConnection } from 'werift';

/** RFC 7983 §7: what the first byte says a datagram is. */
export type DatagramKind = 'stun' | 'dtls' | 'rtp' | 'other';

export function datagramKind(data: Buffer): DatagramKind {
  const b = data[0];
  if (b === undefined) return 'other';
  if (b <= 3) return 'stun';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 128 && b <= 191) return 'rtp';
  return 'other';
}

/**
 * Pure: may a datagram of `kind` from `source` reach werift? `authenticated` holds the
 * "host:port" sources that proved the ICE credentials; `authenticStun` says whether a STUN
 * request carried our USERNAME and a valid MESSAGE-INTEGRITY (undefined for responses).
 */
export function admitDatagram(kind: DatagramKind, source: string, authenticated: ReadonlySet<string>, authenticStun?: boolean): boolean {
  if (kind === 'stun') return authenticStun !== false;
  return authenticated.has(source);
}

/** Counts of what the guard dropped for one peer connection (no addresses kept). */
export interface GuardCounters {
  droppedMedia: number;
  droppedStun: number;
}

type Address = readonly [string, number];
interface WeriftProtocol {
  datagramReceived(data: Buffer, addr: Address): void;
}
interface WeriftPair {
  readonly protocol: unknown;
  readonly remoteAddr: Address;
  readonly state: number;
}
interface WeriftIceConnection {
  readonly localUsername: string;
  readonly localPassword: string;
  readonly nominated?: WeriftPair;
  readonly checkList: readonly WeriftPair[];
  readonly protocols: readonly unknown[];
}
const SUCCEEDED = 3; // werift CandidatePairState.SUCCEEDED (ice/src/iceBase.js)

const key = (addr: Address): string => `${addr[0]}:${addr[1]}`;

/**
 * Wraps every UDP socket of `pc` (call after ICE gathering, before the answer goes out).
 * Returns live counters. werift internals it relies on are named above; a werift upgrade
 * that renames them fails loudly here rather than silently unguarded.
 */
export function guardIceDatagrams(pc: RTCPeerConnection): GuardCounters {
  const counters: GuardCounters = { droppedMedia: 0, droppedStun: 0 };
  for (const transport of pc.iceTransports) {
    const connection = transport.connection as unknown as WeriftIceConnection;
    if (!Array.isArray(connection.protocols)) throw new Error('werift ICE connection has no protocols list; the datagram guard needs updating for this werift version');
    const authenticated = new Set<string>();
    for (const p of connection.protocols) {
      const protocol = p as WeriftProtocol;
      if (typeof protocol.datagramReceived !== 'function') continue; // TCP/TURN: not used by the box
      const original = protocol.datagramReceived.bind(protocol);
      protocol.datagramReceived = (data: Buffer, addr: Address): void => {
        const source = key(addr);
        const kind = datagramKind(data);
        const authenticStun = kind === 'stun' && isRequest(data) ? authenticRequest(data, connection) : undefined;
        if (authenticStun) authenticated.add(source);
        if (kind !== 'stun') addProven(authenticated, connection, protocol);
        if (!admitDatagram(kind, source, authenticated, authenticStun)) {
          if (kind === 'stun') counters.droppedStun++;
          else counters.droppedMedia++;
          return;
        }
        original(data, addr);
      };
    }
  }
  return counters;
}

/** STUN class bits (RFC 5389 §6): a request has C1=C0=0. */
function isRequest(data: Buffer): boolean {
  return data.length >= 2 && (data.readUInt16BE(0) & 0x0110) === 0;
}

function authenticRequest(data: Buffer, connection: WeriftIceConnection): boolean {
  const message = parseMessage(data, Buffer.from(connection.localPassword, 'utf8'));
  if (!message) return false;
  const username = message.getAttributeValue('USERNAME') as unknown;
  return typeof username === 'string' && username.startsWith(`${connection.localUsername}:`);
}

/** Adds the remotes of this socket's succeeded and nominated pairs. */
function addProven(authenticated: Set<string>, connection: WeriftIceConnection, protocol: unknown): void {
  for (const pair of connection.checkList) {
    if (pair.protocol === protocol && pair.state === SUCCEEDED) authenticated.add(key(pair.remoteAddr));
  }
  const nominated = connection.nominated;
  if (nominated && nominated.protocol === protocol) authenticated.add(key(nominated.remoteAddr));
}
