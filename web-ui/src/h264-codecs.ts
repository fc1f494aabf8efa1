/**
 * The box sends H.264 Constrained Baseline in packetization mode 1 (RFC 6184 §5.8) and
 * nothing else, so the page offers only that: `setCodecPreferences` on the receiver
 * keeps Chromium from offering VP8/VP9/AV1 and High profile first.
 */

/** The fields of RTCRtpCodec(Capability) this module reads. */
export interface CodecLike {
  readonly mimeType: string;
  readonly clockRate: number;
  readonly sdpFmtpLine?: string | undefined;
}

/** Constrained Baseline: profile_idc 0x42 with constraint_set1 set (RFC 6184 §8.1). */
const CONSTRAINED_BASELINE = /^42[ce]0[0-9a-f]{2}$/i;

function fmtp(codec: CodecLike): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of (codec.sdpFmtpLine ?? '').split(';')) {
    const [k, v] = part.split('=');
    if (k && v !== undefined) params.set(k.trim().toLowerCase(), v.trim());
  }
  return params;
}

/**
 * pickH264Codecs keeps the H.264 mode-1 Constrained Baseline entries: 42e01f first,
 * then any other 42e0xx/42c0xx, in the browser's order. Empty means this browser
 * cannot receive what the box sends.
 */
export function pickH264Codecs<C extends CodecLike>(codecs: readonly C[]): C[] {
  const usable = codecs.filter((c) => {
    if (c.mimeType.toLowerCase() !== 'video/h264') return false;
    const p = fmtp(c);
    const profile = p.get('profile-level-id') ?? '';
    return p.get('packetization-mode') === '1' && CONSTRAINED_BASELINE.test(profile);
  });
  const first = usable.filter((c) => fmtp(c).get('profile-level-id')?.toLowerCase() === '42e01f');
  return [...first, ...usable.filter((c) => !first.includes(c))];
}

/**
 * Whether this browser can play what the box sends, asked before anything is sent so a
 * browser that cannot never uses up the link. No RTCRtpReceiver.getCapabilities (Firefox
 * before 113) counts as no: the page could not pin the codec, and such a browser would
 * fail later with a vaguer message.
 */
export function canReceiveBoxVideo(capabilities: { readonly codecs: readonly CodecLike[] } | null | undefined): boolean {
  return capabilities != null && pickH264Codecs(capabilities.codecs).length > 0;
}
