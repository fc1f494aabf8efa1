/**
 * Narrows a checked offer to the one H.264 format the box will send (and, in an audio
 * m-section, to Opus alone), before werift sees it.
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
 * A pinned section's a=ssrc lines go too. The box answers sendonly (or inactive), so it never
 * receives media there; but werift registers an RTP *receiver* under a signalled remote
 * SSRC, and its RTCP router sends PLI/FIR to `ssrcTable[senderSsrc] || ssrcTable[mediaSsrc]`
 * (node_modules/werift/lib/webrtc/src/media/router.js:121): a viewer that signals the SSRC
 * it sends RTCP from (werift peers do; Chromium's recvonly offers do not) would have its
 * PLIs delivered to that receiver instead of our sender, and no keyframe would follow.
 */
import type { CheckedOffer } from './offer-check.js';

/** RTCP feedback the box acts on: NACK (werift retransmits), PLI and FIR (keyframe), REMB (ignored but harmless). */
export const PINNED_RTCP_FEEDBACK = ['nack', 'nack pli', 'ccm fir', 'goog-remb'] as const;

/** RTCP feedback the box keeps for Opus: none (it resends no audio; RFC 7587 has no feedback). */
const AUDIO_RTCP_FEEDBACK: readonly string[] = [];

export function pinOfferToH264(offer: string, checked: CheckedOffer): string {
  const pins = new Map<number, { pt: string; feedback: readonly string[] }>([
    [checked.videoIndex, { pt: String(checked.h264.payloadType), feedback: PINNED_RTCP_FEEDBACK }],
  ]);
  // An audio section without Opus is left as offered: werift rejects it (port 0).
  if (checked.audio?.opusPayloadType !== undefined) {
    pins.set(checked.audio.index, { pt: String(checked.audio.opusPayloadType), feedback: AUDIO_RTCP_FEEDBACK });
  }
  const out: string[] = [];
  let index = -1;
  for (const line of offer.split(/\r?\n/)) {
    if (line === '') continue;
    if (line.startsWith('m=')) index++;
    const pin = pins.get(index);
    if (pin) {
      if (line.startsWith('m=')) {
        const [kind, port, proto] = line.split(' ');
        // A pinned section with port 0 is bundle-only (checkOffer's isLive): werift knows no
        // bundle-only and would take it as rejected, so it gets the "discard" port 9 that
        // bundled sections carry (RFC 8843 §7.2); the transport is the BUNDLE tag's.
        out.push(`${kind} ${port === '0' ? '9' : port} ${proto} ${pin.pt}`);
        continue;
      }
      const m = /^a=(rtpmap|fmtp|rtcp-fb):(\d+) (.*)$/.exec(line);
      if (m) {
        if (m[2] !== pin.pt) continue;
        if (m[1] === 'rtcp-fb' && !pin.feedback.includes(m[3]!.trim())) continue;
      }
      if (line.startsWith('a=ssrc:') || line.startsWith('a=ssrc-group:')) continue;
    }
    out.push(line);
  }
  return out.join('\r\n') + '\r\n';
}

/**
 * Pure: the answer with its video format's profile-level-id set to what the box's encoder
 * really sends (encode/v4l2-m2m-encoder-controls.ts streamProfileLevelId). werift copies the
 * offer's value, but the answer describes the sender's stream (RFC 6184 §8.2.2; the browsers
 * offer level-asymmetry-allowed=1), and Safari shows a black picture when the SPS and the
 * signalled profile differ. For the box's default 720p30 both are 42e01f.
 */
export function signalProfileLevelId(answer: string, payloadType: number, profileLevelId: string): string {
  return answer.replace(new RegExp(`^(a=fmtp:${payloadType} .*)$`, 'm'), (line) =>
    /profile-level-id=[0-9a-fA-F]{6}/.test(line)
      ? line.replace(/profile-level-id=[0-9a-fA-F]{6}/, `profile-level-id=${profileLevelId}`)
      : `${line};profile-level-id=${profileLevelId}`,
  );
}
