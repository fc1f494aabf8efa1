/**
 * "Is the phone still there?", answered only by what the phone alone can make: an SRTCP
 * packet that passed SRTP authentication and carries an index above every earlier one
 * from its sender (RFC 3711 §3.3.2, §3.4). The resume guard (sessions/resume-guard.ts)
 * refuses to replace a connection heard within the last few seconds, so this must not be
 * something a sniffer can fake: STUN consent cannot be used (on plain HTTP the ICE
 * password is in the SDP) and neither can a replayed SRTCP packet.
 *
 * werift 0.25 checks the SRTCP auth tag (cipher/ctr.js, cipher/gcm.js) but keeps no replay
 * list (transport/dtls.js startSrtp: `dec = this.srtcp.decrypt(data)`), so this wraps that
 * one instance's `decrypt`: an authenticated packet with a fresh index is passed on and
 * counted as heard; a replayed one is dropped (it decrypts to nothing, so werift raises no
 * RTCP event for it: no NACK resend, no PLI, no "heard").
 */

/** Bytes of the SRTCP auth tag after the index, by DTLS-SRTP protection profile (RFC 5764 §4.1.2, RFC 7714 §9). */
const TAG_AFTER_INDEX: Readonly<Record<number, number>> = {
  0x0001: 10, // SRTP_AES128_CM_HMAC_SHA1_80: index ‖ 80-bit tag
  0x0002: 4, //  SRTP_AES128_CM_HMAC_SHA1_32
  0x0007: 0, //  SRTP_AEAD_AES_128_GCM: the tag is inside; the index is last
  0x0008: 0, //  SRTP_AEAD_AES_256_GCM
};

/** The sender SSRC and 31-bit SRTCP index of a protected packet, or null if too short or the profile is unknown. */
export function srtcpIndexOf(packet: Uint8Array, profile: number): { readonly ssrc: number; readonly index: number } | null {
  const tag = TAG_AFTER_INDEX[profile];
  if (tag === undefined || packet.length < 8 + 4 + tag) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const at = packet.length - tag - 4;
  return { ssrc: view.getUint32(4), index: view.getUint32(at) & 0x7fffffff };
}

/**
 * Highest SRTCP index seen per sender SSRC. Pure apart from its map. A browser sends one
 * SSRC per receiver (a few per viewer); the map is capped so a peer cannot grow it.
 */
export class SrtcpReplayList {
  readonly #highest = new Map<number, number>();

  constructor(private readonly maxSenders = 16) {}

  /** True (and remembered) when `index` is above every earlier index of `ssrc`. */
  fresh(ssrc: number, index: number): boolean {
    const highest = this.#highest.get(ssrc);
    if (highest !== undefined && index <= highest) return false;
    if (highest === undefined && this.#highest.size >= this.maxSenders) return false;
    this.#highest.set(ssrc, index);
    return true;
  }
}

/** The slice of werift's RTCDtlsTransport this needs (transport/dtls.js). */
interface DtlsTransportLike {
  srtcp?: { decrypt: (packet: Buffer) => Buffer };
  dtls?: { srtp?: { srtpProfile?: number } } | undefined;
  updateSrtpSession?: () => void;
}

/**
 * Watches one DTLS transport's inbound SRTCP. Returns `lastHeardAt()`: `now()` of the last
 * authenticated, fresh packet, or null before the first. Installs itself whether or not
 * SRTP has started yet (werift makes a new SrtcpSession in updateSrtpSession).
 */
export function watchSrtcpLiveness(transport: unknown, now: () => number): () => number | null {
  const t = transport as DtlsTransportLike;
  let lastHeard: number | null = null;
  const replay = new SrtcpReplayList();
  const wrapped = new WeakSet<object>();
  const wrap = (): void => {
    const session = t.srtcp;
    if (session === undefined || wrapped.has(session)) return;
    wrapped.add(session);
    const decrypt = session.decrypt.bind(session);
    session.decrypt = (packet: Buffer): Buffer => {
      const plain = decrypt(packet); // throws on a bad auth tag: werift drops the packet
      const at = srtcpIndexOf(packet, t.dtls?.srtp?.srtpProfile ?? -1);
      // A profile this does not know: pass RTCP on (NACK and PLI must work) but never count it as heard.
      if (at === null) return plain;
      if (!replay.fresh(at.ssrc, at.index)) return Buffer.alloc(0);
      lastHeard = now();
      return plain;
    };
  };
  if (typeof t.updateSrtpSession === 'function') {
    const update = t.updateSrtpSession.bind(t);
    t.updateSrtpSession = () => {
      update();
      wrap();
    };
  }
  wrap();
  return () => lastHeard;
}
