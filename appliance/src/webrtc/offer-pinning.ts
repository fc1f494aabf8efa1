/**
 * Narrows a checked offer to the one H.264 format the box will send, before werift sees it.
 *
 * Why: werift 0.25 matches an offered codec to its configured ones by MIME type only
 * (TransceiverManager.resolveRemoteCodecSet, node_modules/werift/lib/webrtc/src/
 * transceiverManager.js:410-431: `normalizeCodecMimeType(codec.mimeType) === ...`), so
 * with Chromium's offer it answers with the *first* H264 payload type, which is 42001f
 * (and, on other builds, may be packetization-mode=0). It also copies the offer's
 * rtcp-fb lines into the answer whatever the local codec says. Removing every other
 * format from the video m-section makes the answer contain exactly the payload type that
 * checkOffer chose, with exactly the feedback the box handles. An answer's formats must
 * be a subset of the offer's (RFC 3264 §6.1), which this keeps true.
 *
 * The video section's a=ssrc lines go too. The box answers sendonly, so it never
 * receives media there; but werift registers an RTP *receiver* under a signalled remote
 * SSRC, and its RTCP router sends PLI/FIR to `ssrcTable[senderSsrc] || ssrcTable[mediaSsrc]`
 * (node_modules/werift/lib/webrtc/src/media/router.js:121): a viewer that signals the SSRC
 * it sends RTCP from (werift peers do; Chromium's recvonly offers do not) would have its
 * PLIs delivered to that receiver instead of our sender, and no keyframe would follow.
 */
import type { CheckedOffer } from './offer-check.js';

/** RTCP feedback the box acts on: NACK (werift retransmits), PLI and FIR (keyframe), REMB (ignored but harmless). */
export const PINNED_RTCP_FEEDBACK = ['nack', 'nack pli', 'ccm fir', 'goog-remb'] as const;

export function pinOfferToH264(offer: string, checked: CheckedOffer): string {
  const pt = String(checked.h264.payloadType);
  const out: string[] = [];
  let index = -1;
  for (const line of offer.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith('m=')) {
      index++;
      if (index === checked.videoIndex) {
        const [kind, port, proto] = line.split(' ');
        out.push(`${kind} ${port} ${proto} ${pt}`);
        continue;
      }
    }
    if (index === checked.videoIndex) {
      const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+) (.*)$/.exec(line);
      if (m) {
        if (m[2] !== pt) continue;
        if (m[1] === 'rtcp-fb' && !(PINNED_RTCP_FEEDBACK as readonly string[]).includes(m[3]!.trim())) continue;
      }
      if (line.startsWith('a=ssrc:') || line.startsWith('a=ssrc-group:')) continue;
    }
    out.push(line);
  }
  return out.join('\r\n') + '\r\n';
}
