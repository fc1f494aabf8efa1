/**
 * Defensive validation of a WHEP offer (RFC 9725 §4.2) before any werift object exists.
 * The offer comes from an unauthenticated-until-proven network peer: it is bounded in
 * size and m-sections, parsed line by line (RFC 8866 §5: `<type>=<value>`, CRLF or LF),
 * and must describe something the box can answer: one video m-section the box may send
 * on (recvonly or sendrecv), H.264 with packetization-mode=1 (RFC 6184 §8.1) in a
 * profile a Constrained Baseline stream satisfies, ICE credentials (RFC 8839 §5.4), a
 * sha-256 DTLS fingerprint and a setup role (RFC 8122 §5, RFC 8842 §5).
 * Every failure is an OfferRejected with one line meant for the client.
 */
import { OfferRejected } from './viewer-connection.js';
import { ABS_CAPTURE_TIME_URI, PLAYOUT_DELAY_URI } from './rtp-header-extensions.js';

/** Larger offers are refused unread. Chromium's, with candidates, is ~6 kB. */
export const MAX_OFFER_BYTES = 32 * 1024;
/** A viewer needs one; bundles with audio or data channels stay far below this. */
export const MAX_M_SECTIONS = 8;
/**
 * Candidates in one offer. The box answers only whole offers (no trickle: WHEP PATCH
 * answers 405), so this is every candidate the viewer will ever give; a phone has a
 * handful per interface. Each one costs the box a connectivity check (RFC 8445 §6.1.2).
 */
export const MAX_CANDIDATES = 64;

/** What the answer will use, chosen from the offer. */
export interface CheckedOffer {
  /** Index of the video m-section among all m-sections. */
  readonly videoIndex: number;
  readonly videoMid: string | undefined;
  readonly h264: {
    readonly payloadType: number;
    /** Lower-case six hex digits; RFC 6184 default 420010 when the offer omits it. */
    readonly profileLevelId: string;
    readonly rtcpFeedback: readonly string[];
  };
  /** extmap ids the offer chose for the box's two header extensions, if offered. */
  readonly extensionIds: { readonly playoutDelay?: number; readonly absCaptureTime?: number };
  /**
   * The first audio m-section the viewer offers to receive on (most WHEP players offer one
   * beside the video), with its Opus payload type (RFC 7587) if it has Opus. The box
   * answers it with Opus (offer-pinning.ts, werift-viewer-factory.ts).
   */
  readonly audio?: {
    readonly index: number;
    readonly opusPayloadType: number | undefined;
    /** The viewer offered to receive there (recvonly or sendrecv): the box may send its sound. */
    readonly receives: boolean;
  };
}

interface MediaSection {
  readonly kind: string;
  readonly port: number;
  readonly proto: string;
  readonly formats: readonly string[];
  readonly attributes: readonly string[];
}

const reject = (reason: string): never => {
  throw new OfferRejected(reason);
};

/** Validates the offer and picks the H.264 payload type to answer with. Throws OfferRejected. */
export function checkOffer(offer: unknown): CheckedOffer {
  if (typeof offer !== 'string') return reject('SDP offer must be text (application/sdp)');
  if (offer.length === 0) return reject('SDP offer is empty');
  if (offer.length > MAX_OFFER_BYTES) return reject(`SDP offer is larger than ${MAX_OFFER_BYTES} bytes`);
  if (!/^v=0\r?\n/.test(offer)) return reject('SDP offer must start with "v=0"');

  let candidates = 0;
  const session: string[] = [];
  const sections: { kind: string; port: number; proto: string; formats: string[]; attributes: string[] }[] = [];
  for (const line of offer.split(/\r?\n/)) {
    if (line === '') continue;
    if (!/^[a-z]=/.test(line)) return reject('SDP offer has a line that is not "<type>=<value>"');
    if (line.startsWith('m=')) {
      if (sections.length === MAX_M_SECTIONS) return reject(`SDP offer has more than ${MAX_M_SECTIONS} m-sections`);
      const m = /^m=(\w+) (\d+)(?:\/\d+)? (\S+)((?: \S+)*)$/.exec(line);
      if (!m) return reject('SDP offer has a malformed m= line');
      sections.push({ kind: m[1]!, port: Number(m[2]), proto: m[3]!, formats: m[4]!.trim().split(' ').filter(Boolean), attributes: [] });
    } else if (line.startsWith('a=')) {
      if (line.startsWith('a=candidate:') && ++candidates > MAX_CANDIDATES) {
        return reject(`SDP offer has more than ${MAX_CANDIDATES} ICE candidates`);
      }
      (sections.at(-1)?.attributes ?? session).push(line.slice(2));
    }
  }

  const videos = sections.map((s, i) => ({ s, i })).filter(({ s }) => s.kind === 'video' && isLive(s, session));
  if (videos.length === 0) return reject('SDP offer has no video m-section');
  if (videos.length > 1) return reject(`SDP offer has ${videos.length} video m-sections; the box sends one video stream`);
  const { s: video, i: videoIndex } = videos[0]!;

  if (!/^UDP\/TLS\/RTP\/SAVPF$/i.test(video.proto)) {
    return reject(`SDP offer video uses ${video.proto}; WebRTC needs UDP/TLS/RTP/SAVPF`);
  }
  const direction = directionOf(video);
  if (direction !== 'recvonly' && direction !== 'sendrecv') {
    return reject(`SDP offer video is ${direction}; a viewer must offer recvonly`);
  }

  const attr = (name: string): string | undefined => {
    const find = (list: readonly string[]): string | undefined =>
      list.find((a) => a.startsWith(`${name}:`))?.slice(name.length + 1).trim();
    return find(video.attributes) ?? find(session);
  };
  const ufrag = attr('ice-ufrag');
  const pwd = attr('ice-pwd');
  if (!ufrag || !pwd) return reject('SDP offer has no ICE credentials (a=ice-ufrag and a=ice-pwd)');
  // RFC 8839 §5.4: ufrag 4..256 ice-chars, pwd 22..256 ice-chars.
  if (!/^[A-Za-z0-9+/]{4,256}$/.test(ufrag) || !/^[A-Za-z0-9+/]{22,256}$/.test(pwd)) {
    return reject('SDP offer has malformed ICE credentials');
  }
  const fingerprints = [...video.attributes, ...session].filter((a) => a.startsWith('fingerprint:'));
  if (fingerprints.length === 0) return reject('SDP offer has no DTLS fingerprint (a=fingerprint)');
  const sha256 = fingerprints.map((f) => f.trim()).filter((f) => /^fingerprint:sha-256 ([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/.test(f));
  if (sha256.length === 0) return reject('SDP offer has no sha-256 DTLS fingerprint');
  // RFC 8122 §5 allows one fingerprint per hash function for the same certificate; two
  // different sha-256 values would let werift accept a certificate matching either.
  if (new Set(sha256.map((f) => f.toUpperCase())).size > 1) return reject('SDP offer has conflicting sha-256 DTLS fingerprints');
  const setup = attr('setup');
  if (!setup) return reject('SDP offer has no DTLS role (a=setup)');
  if (!/^(actpass|active|passive)$/.test(setup)) return reject(`SDP offer has an unknown DTLS role "a=setup:${setup}"`);

  const h264 = pickH264(video);
  const extmapId = (uri: string): number | undefined => {
    for (const a of video.attributes) {
      const m = /^extmap:(\d+)(?:\/\w+)? (\S+)/.exec(a);
      if (m && m[2] === uri) {
        const id = Number(m[1]);
        // One-byte header elements (RFC 8285 §4.2) carry ids 1..14; werift writes only those.
        return id >= 1 && id <= 14 ? id : undefined;
      }
    }
    return undefined;
  };
  const mid = attr('mid');
  const audioIndex = sections.findIndex((s) => s.kind === 'audio' && isLive(s, session));
  return {
    videoIndex,
    videoMid: mid,
    h264,
    extensionIds: { playoutDelay: extmapId(PLAYOUT_DELAY_URI), absCaptureTime: extmapId(ABS_CAPTURE_TIME_URI) },
    ...(audioIndex >= 0 ? { audio: { index: audioIndex, opusPayloadType: opusPayloadType(sections[audioIndex]!), receives: ['recvonly', 'sendrecv'].includes(directionOf(sections[audioIndex]!)) } } : {}),
  };
}

/** The section's direction attribute (RFC 8866 §6.7), sendrecv when it has none. */
function directionOf(section: { readonly attributes: readonly string[] }): string {
  return section.attributes.find((a) => /^(sendrecv|sendonly|recvonly|inactive)$/.test(a)) ?? 'sendrecv';
}

/**
 * Whether an m-section is offered (not rejected). Port 0 rejects it (RFC 3264 §5.1), except
 * with `a=bundle-only` and its mid in the BUNDLE group (RFC 8843 §6): Firefox's max-bundle
 * offers mark every section but the first that way, so its audio+video offers have
 * `m=video 0 … a=bundle-only`.
 */
export function isLive(section: { readonly port: number; readonly attributes: readonly string[] }, session: readonly string[]): boolean {
  if (section.port !== 0) return true;
  if (!section.attributes.includes('bundle-only')) return false;
  const mid = section.attributes.find((a) => a.startsWith('mid:'))?.slice(4).trim();
  const bundle = session.find((a) => a.startsWith('group:BUNDLE '))?.slice('group:BUNDLE '.length).trim().split(/\s+/) ?? [];
  return mid !== undefined && bundle.includes(mid);
}

/** The payload type of `opus/48000/2` in an audio section (RFC 7587 §7: always 2 channels in SDP). */
function opusPayloadType(audio: MediaSection): number | undefined {
  for (const a of audio.attributes) {
    const m = /^rtpmap:(\d+) opus\/48000(\/2)?$/i.exec(a.trim());
    if (m && audio.formats.includes(m[1]!)) return Number(m[1]);
  }
  return undefined;
}

/** Ranks an offered H.264 format; higher is better, undefined means unusable. */
function rankProfile(profileLevelId: string): number | undefined {
  const profileIdc = parseInt(profileLevelId.slice(0, 2), 16);
  const flags = parseInt(profileLevelId.slice(2, 4), 16);
  const level = parseInt(profileLevelId.slice(4, 6), 16);
  // Constrained Baseline streams decode as Baseline (42xxxx); other profiles are not offered by the box.
  if (profileIdc !== 0x42) return undefined;
  let score = 0;
  if (profileLevelId === '42e01f') score += 100;
  if (flags & 0x40) score += 10; // constraint_set1: Constrained Baseline (RFC 6184 Table 5)
  if (level >= 0x1f) score += 1; // level 3.1 covers 720p30
  return score;
}

function pickH264(video: MediaSection): CheckedOffer['h264'] {
  const byPt = new Map<number, { rtpmap?: string; fmtp?: string; fb: string[] }>();
  const entry = (pt: number) => {
    let e = byPt.get(pt);
    if (!e) byPt.set(pt, (e = { fb: [] }));
    return e;
  };
  for (const a of video.attributes) {
    const m = /^(rtpmap|fmtp|rtcp-fb):(\d+) (.*)$/.exec(a);
    if (!m || !video.formats.includes(m[2]!)) continue;
    const e = entry(Number(m[2]));
    if (m[1] === 'rtpmap') e.rtpmap = m[3]!;
    else if (m[1] === 'fmtp') e.fmtp = m[3]!;
    else e.fb.push(m[3]!.trim());
  }
  let best: { pt: number; pli: string; fb: string[]; score: number } | undefined;
  let sawH264 = false;
  let sawMode1 = false;
  for (const [pt, e] of byPt) {
    if (!e.rtpmap || !/^H264\/90000$/i.test(e.rtpmap)) continue;
    sawH264 = true;
    const params = new Map(
      (e.fmtp ?? '').split(';').map((p) => p.trim().split('=') as [string, string?]).map(([k, v]) => [k.toLowerCase(), (v ?? '').trim()]),
    );
    if (params.get('packetization-mode') !== '1') continue;
    sawMode1 = true;
    const pli = (params.get('profile-level-id') ?? '420010').toLowerCase();
    if (!/^[0-9a-f]{6}$/.test(pli)) continue;
    const score = rankProfile(pli);
    if (score === undefined) continue;
    if (!best || score > best.score) best = { pt, pli, fb: e.fb, score };
  }
  if (!best) {
    if (!sawH264) return reject('SDP offer has no H.264; the box sends only H.264');
    if (!sawMode1) return reject('SDP offer has no H.264 with packetization-mode=1');
    return reject('SDP offer has no H.264 Baseline profile (profile-level-id 42xxxx); the box sends Constrained Baseline');
  }
  return { payloadType: best.pt, profileLevelId: best.pli, rtcpFeedback: best.fb };
}
