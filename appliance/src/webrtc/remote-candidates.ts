/**
 * What the box does with the ICE candidates a phone's offer carries, before werift sees
 * them. Real browsers' defaults break werift 0.25's ICE in two ways (read in node_modules/
 * werift/lib/ice/src/ice.js):
 *
 * 1. `a=end-of-candidates` (Firefox writes it; RFC 8840 §4.1 / RFC 8838 §8.2). werift then
 *    sets remoteCandidatesEnd, and Connection.connect() with an empty check list gives up
 *    at once: schedulingChecks() returns false ("no more candidates expected"), the wait
 *    loop `while (checkList.length > 0 …)` never runs, and it throws "ICE negotiation
 *    failed". The list is empty because the browser's only candidates are mDNS names
 *    (2.), whose look-ups werift starts without awaiting (peerConnection.js
 *    `iceCandidates.forEach(addRemoteCandidate)`). DTLS never starts; werift's STUN socket
 *    still answers the phone's checks, so the phone reports ICE connected. RFC 8445 §7.3.1.3
 *    has an agent learn peer-reflexive candidates from checks whatever the signalling said,
 *    and the phone's checks always come (it is controlling): so the box never tells werift
 *    the list is complete. A viewer that never connects is closed by its connect timeout.
 *
 * 2. mDNS host candidates (`<uuid>.local`, draft-ietf-mmusic-mdns-ice-candidates): werift
 *    resolves them itself with one multicast socket per connection, IPv4 only (A
 *    queries), reading only the first answer, over the default route's interface, with a
 *    10 s time-out. The box resolves them itself instead (mdns-resolver.ts: A and AAAA, on
 *    every interface, one socket for the box) and hands werift the addresses as trickled
 *    candidates (RTCPeerConnection.addIceCandidate), through the same unroutable-address
 *    filter as the offer's own candidates.
 *
 * Peer-reflexive candidates need nothing more: werift learns them from the phone's checks
 * (ice.js checkIncoming), after ice-datagram-guard.ts has checked their MESSAGE-INTEGRITY.
 */

/** An mDNS host candidate taken out of the offer, to be resolved and trickled. */
export interface MdnsCandidate {
  /** The candidate attribute without `a=` (`candidate:… <name>.local <port> typ host …`). */
  readonly candidate: string;
  /** Lower-case host name, e.g. `0718cb9e-32ec-4919-a3e3-16012fa7e5b8.local`. */
  readonly hostname: string;
  /** The m-section's a=mid (werift routes trickled candidates by it) and index. */
  readonly sdpMid: string | undefined;
  readonly sdpMLineIndex: number;
}

export interface SplitCandidates {
  /** The offer without `a=end-of-candidates` and without mDNS candidates. */
  readonly offer: string;
  /** mDNS UDP candidates of RTP component 1 (the box bundles and muxes RTCP; it does no ICE-TCP). */
  readonly mdns: readonly MdnsCandidate[];
}

/** `<uuid>.local`: a name only a phone's mDNS responder answers (RFC 6762 §3). */
const MDNS_NAME = /^[a-z0-9-]+\.local\.?$/i;

/** Pure: see the file comment. Lines end in CRLF in the result, as RFC 8866 §5 writes them. */
export function splitRemoteCandidates(offer: string): SplitCandidates {
  const out: string[] = [];
  const mdns: MdnsCandidate[] = [];
  let mLineIndex = -1;
  let pending: { candidate: string; hostname: string }[] = [];
  let mid: string | undefined;
  const flush = (): void => {
    for (const p of pending) mdns.push({ ...p, sdpMid: mid, sdpMLineIndex: mLineIndex });
    pending = [];
  };
  for (const line of offer.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith('m=')) {
      flush();
      mLineIndex++;
      mid = undefined;
    }
    if (mLineIndex >= 0 && line.startsWith('a=mid:')) mid = line.slice('a=mid:'.length).trim();
    if (line === 'a=end-of-candidates') continue;
    if (line.startsWith('a=candidate:')) {
      // RFC 8839 §5.1: foundation component transport priority address port typ type …
      const [, component, transport, , address] = line.split(' ');
      if (address !== undefined && MDNS_NAME.test(address)) {
        if (component === '1' && transport?.toLowerCase() === 'udp' && mLineIndex >= 0) {
          const hostname = address.toLowerCase().replace(/\.$/, '');
          const port = line.split(' ')[5];
          // BUNDLE offers (aiortc's) repeat the transport's candidates in every section;
          // werift would pair each copy again, so only the first is kept.
          const seen = (c: { candidate: string; hostname: string }): boolean => c.hostname === hostname && c.candidate.split(' ')[5] === port;
          if (!pending.some(seen) && !mdns.some(seen)) pending.push({ candidate: line.slice(2), hostname });
        }
        continue;
      }
    }
    out.push(line);
  }
  flush();
  return { offer: out.join('\r\n') + '\r\n', mdns };
}

/** Pure: the candidate with its connection address (RFC 8839 §5.1, 5th field) replaced. */
export function withAddress(candidate: string, address: string): string {
  const fields = candidate.split(' ');
  fields[4] = address;
  return fields.join(' ');
}
