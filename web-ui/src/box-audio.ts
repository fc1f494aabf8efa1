/**
 * The box's sound, as the page learns it: pinning the audio transceiver to Opus (the only
 * codec the box sends, RFC 7587), reading the answer's audio section, and mapping the
 * box's event stream to one flag the view shows. Pure.
 *
 *   on       the box shares its sound (the page starts muted: a tap turns it on)
 *   muted    the sonographer muted it at the box, for everyone
 *   none     this box or scan has no sound
 *   unknown  not known yet (before the answer)
 */
import type { CodecLike } from './h264-codecs.js';
import type { TransceiverLike } from './whep-ports.js';

export type BoxAudio = 'unknown' | 'on' | 'muted' | 'none';

/** The Opus entries of the browser's audio receive capabilities, in its order. */
export function pickOpusCodecs<C extends CodecLike>(codecs: readonly C[]): C[] {
  return codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/opus' && c.clockRate === 48000);
}

/** Offers Opus alone where the browser lets the page choose; elsewhere the box picks Opus from the offer. */
export function prepareAudioTransceiver(transceiver: TransceiverLike, capabilities: { readonly codecs: readonly CodecLike[] } | null): void {
  if (capabilities === null || !transceiver.setCodecPreferences) return;
  const opus = pickOpusCodecs(capabilities.codecs);
  if (opus.length === 0) return; // no Opus receiver: the box answers without sending sound
  try {
    transceiver.setCodecPreferences(opus);
  } catch {
    // a browser that refuses the list keeps its own; the box still picks Opus
  }
}

/** 'on' when the answer sends sound (an audio section, not rejected, sendonly or sendrecv), else 'none'. */
export function audioInAnswer(sdp: string): 'on' | 'none' {
  for (const section of sdp.split(/\r?\n(?=m=)/)) {
    if (!section.startsWith('m=audio ')) continue;
    if (/^m=audio 0 /.test(section) && !/^a=bundle-only/m.test(section)) continue;
    if (/^a=(sendonly|sendrecv)\s*$/m.test(section)) return 'on';
  }
  return 'none';
}

/**
 * One message of the box's event stream (its JSON data): the session state and, since
 * issue 12, the sound. `{"state":"live","audio":"muted"}`; unknown values are ignored.
 */
export function readBoxEvent(data: unknown): { readonly state?: 'live' | 'ended' | 'replaced'; readonly audio?: Exclude<BoxAudio, 'unknown'> } {
  if (typeof data !== 'string') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return {};
  }
  if (parsed === null || typeof parsed !== 'object') return {};
  const { state, audio } = parsed as { state?: unknown; audio?: unknown };
  return {
    ...(state === 'live' || state === 'ended' || state === 'replaced' ? { state } : {}),
    ...(audio === 'on' || audio === 'muted' || audio === 'none' ? { audio } : {}),
  };
}
