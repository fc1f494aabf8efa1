import { describe, expect, it } from 'vitest';
import { canReceiveBoxVideo, pickH264Codecs, type CodecLike } from './h264-codecs.js';

const h264 = (fmtp: string): CodecLike => ({ mimeType: 'video/H264', clockRate: 90000, sdpFmtpLine: fmtp });

// RTCRtpReceiver.getCapabilities('video').codecs from Debian Chromium 156, H.264 entries
// verbatim, plus two of the non-H.264 entries it lists before them.
const CHROMIUM_156: CodecLike[] = [
  { mimeType: 'video/VP8', clockRate: 90000 },
  { mimeType: 'video/rtx', clockRate: 90000 },
  h264('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f'),
  h264('level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f'),
  h264('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f'),
  h264('level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f'),
  h264('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f'),
  h264('level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=4d001f'),
  h264('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=f4001f'),
  h264('level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=f4001f'),
];

describe('pickH264Codecs', () => {
  it('keeps only Constrained Baseline mode 1 from Chromium 156', () => {
    expect(pickH264Codecs(CHROMIUM_156)).toEqual([
      h264('level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f'),
    ]);
  });

  it.each([
    [
      '42e01f goes first even when listed last',
      [h264('packetization-mode=1;profile-level-id=42e034'), h264('profile-level-id=42E01F;packetization-mode=1')],
      ['profile-level-id=42E01F;packetization-mode=1', 'packetization-mode=1;profile-level-id=42e034'],
    ],
    [
      'falls back to other Constrained Baseline levels (42c0xx, 42e0xx)',
      [h264('packetization-mode=1;profile-level-id=42c01f'), h264('packetization-mode=1;profile-level-id=42e00a')],
      ['packetization-mode=1;profile-level-id=42c01f', 'packetization-mode=1;profile-level-id=42e00a'],
    ],
    ['mode 0 only gives nothing', [h264('packetization-mode=0;profile-level-id=42e01f')], []],
    ['no packetization-mode (mode 0 by default) gives nothing', [h264('profile-level-id=42e01f')], []],
    ['High profile only gives nothing', [h264('packetization-mode=1;profile-level-id=640c1f')], []],
    ['lower-case mime type is fine', [{ mimeType: 'video/h264', clockRate: 90000, sdpFmtpLine: 'packetization-mode=1;profile-level-id=42e01f' }], ['packetization-mode=1;profile-level-id=42e01f']],
  ])('%s', (_name, input, expectedFmtp) => {
    expect(pickH264Codecs(input).map((c) => c.sdpFmtpLine)).toEqual(expectedFmtp);
  });
});

describe('canReceiveBoxVideo (asked before the link is used)', () => {
  const cb = { mimeType: 'video/H264', clockRate: 90000, sdpFmtpLine: 'profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1' };
  it.each([
    ['Firefox ESR 153 with H.264 (offline prefs)', { codecs: [{ mimeType: 'video/VP8', clockRate: 90000 }, cb] }, true],
    ['Firefox without OpenH264 (VP8/VP9/AV1 only)', { codecs: [{ mimeType: 'video/VP8', clockRate: 90000 }, { mimeType: 'video/VP9', clockRate: 90000 }] }, false],
    ['H.264 only in packetization-mode 0', { codecs: [{ ...cb, sdpFmtpLine: 'profile-level-id=42e01f;level-asymmetry-allowed=1' }] }, false],
    ['no RTCRtpReceiver.getCapabilities (Firefox < 113)', undefined, false],
    ['getCapabilities answering null', null, false],
  ] as const)('%s → %s', (_n, caps, want) => expect(canReceiveBoxVideo(caps)).toBe(want));
});
