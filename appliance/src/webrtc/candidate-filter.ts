/**
 * Drops remote ICE candidates the box must never send connectivity checks to: loopback
 * (the box's own services), link-local (169.254/16, fe80::/10: not routable to a phone,
 * and on a hostile offer a way to probe the box's link), multicast and broadcast,
 * unspecified (0.0.0.0, ::). RFC 8445 §5.1.1.1 excludes loopback and link-local local
 * candidates for the same reasons; the box applies it to remote ones before werift sees
 * the offer. mDNS names (`<uuid>.local`, RFC 8445 via draft-ietf-mmusic-mdns-ice-candidates)
 * are kept: they resolve on the phone's own network.
 *
 * Loopback is allowed only when the box itself gathers on loopback (webrtc.extraHostAddresses
 * contains one): the dev box and the tests on 127.0.0.1. A loopback remote candidate can only
 * pair with a loopback local one, so on a deployed box (no loopback gathered) allowing it
 * would only let an offer aim checks at the box's own ports.
 */
import { isIP } from 'node:net';

/** Why an address is not a usable remote candidate, or undefined if it is. */
export type UnroutableReason = 'loopback' | 'link-local' | 'multicast' | 'broadcast' | 'unspecified';

/** Pure: classifies one candidate address (IPv4, IPv6 or a hostname). */
export function unroutableReason(address: string): UnroutableReason | undefined {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (isIP(a) === 4) {
    const [o1, o2] = a.split('.').map(Number) as [number, number];
    if (o1 === 127) return 'loopback';
    if (o1 === 169 && o2 === 254) return 'link-local';
    if (o1 >= 224 && o1 <= 239) return 'multicast';
    if (a === '255.255.255.255') return 'broadcast';
    if (o1 === 0) return 'unspecified';
    return undefined;
  }
  if (isIP(a) === 6) {
    if (a === '::1') return 'loopback';
    if (a === '::') return 'unspecified';
    if (/^fe[89ab]/.test(a)) return 'link-local';
    if (a.startsWith('ff')) return 'multicast';
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    if (mapped) return unroutableReason(mapped[1]!);
    return undefined;
  }
  if (a === 'localhost' || a.endsWith('.localhost')) return 'loopback';
  return undefined;
}

/** True when a list of local addresses includes a loopback one (dev/test boxes). */
export function gathersOnLoopback(addresses: readonly string[]): boolean {
  return addresses.some((a) => unroutableReason(a) === 'loopback');
}

/**
 * Pure: the offer without the `a=candidate` lines whose connection address is unroutable
 * (RFC 8839 §5.1: `candidate:<foundation> <component> <transport> <priority> <address> <port> typ ...`).
 * Candidate lines too short to name an address are dropped too.
 */
export function dropUnroutableCandidates(offer: string, options: { allowLoopback: boolean }): string {
  const out: string[] = [];
  for (const line of offer.split(/\r?\n/)) {
    if (line.startsWith('a=candidate:')) {
      const address = line.split(' ')[4];
      if (address === undefined) continue;
      const reason = unroutableReason(address);
      if (reason !== undefined && !(reason === 'loopback' && options.allowLoopback)) continue;
    }
    if (line !== '') out.push(line);
  }
  return out.join('\r\n') + '\r\n';
}
