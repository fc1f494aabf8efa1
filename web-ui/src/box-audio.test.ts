import { describe, expect, it } from 'vitest';
import { audioInAnswer, pickOpusCodecs, prepareAudioTransceiver, readBoxEvent } from './box-audio.js';
import type { CodecLike } from './h264-codecs.js';

// What Chromium 156 lists in RTCRtpReceiver.getCapabilities('audio').
const CHROMIUM_AUDIO: CodecLike[] = [
  { mimeType: 'audio/opus', clockRate: 48000, sdpFmtpLine: 'minptime=10;useinbandfec=1' },
  { mimeType: 'audio/red', clockRate: 48000, sdpFmtpLine: '111/111' },
  { mimeType: 'audio/G722', clockRate: 8000 },
  { mimeType: 'audio/PCMU', clockRate: 8000 },
  { mimeType: 'audio/PCMA', clockRate: 8000 },
  { mimeType: 'audio/CN', clockRate: 8000 },
  { mimeType: 'audio/telephone-event', clockRate: 48000 },
];

const section = (lines: string[]): string => ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', ...lines, ''].join('\r\n');

describe('the audio transceiver offers Opus only', () => {
  it('keeps the Opus entries of Chromium\'s list (no RED, G.722, PCM, CN or DTMF)', () => {
    expect(pickOpusCodecs(CHROMIUM_AUDIO).map((c) => c.mimeType)).toEqual(['audio/opus']);
  });
  it.each([
    ['Chromium\'s capabilities', { codecs: CHROMIUM_AUDIO }, ['audio/opus']],
    ['no getCapabilities', null, null],
    ['no Opus receiver', { codecs: CHROMIUM_AUDIO.slice(1) }, null],
  ])('%s', (_n, caps, set) => {
    let got: string[] | null = null;
    prepareAudioTransceiver({ setCodecPreferences: (c) => (got = c.map((x) => x.mimeType)) }, caps);
    expect(got).toEqual(set);
  });
  it('a browser without setCodecPreferences, or one that refuses the list, still offers', () => {
    expect(() => prepareAudioTransceiver({}, { codecs: CHROMIUM_AUDIO })).not.toThrow();
    expect(() => prepareAudioTransceiver({ setCodecPreferences: () => { throw new Error('InvalidModificationError'); } }, { codecs: CHROMIUM_AUDIO })).not.toThrow();
  });
});

describe('audioInAnswer: does the box send sound?', () => {
  const video = ['m=video 9 UDP/TLS/RTP/SAVPF 108', 'a=mid:0', 'a=sendonly'];
  it.each([
    ['audio sendonly (a box with sound)', section([...video, 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:1', 'a=sendonly', 'a=msid:sonobox a1']), 'on'],
    ['audio inactive (a box without sound)', section([...video, 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:1', 'a=inactive']), 'none'],
    ['audio rejected (port 0)', section([...video, 'm=audio 0 UDP/TLS/RTP/SAVPF 0', 'a=mid:1', 'a=sendonly']), 'none'],
    ['no audio section', section(video), 'none'],
    ['audio first, sendrecv', section(['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=sendrecv', ...video]), 'on'],
  ])('%s → %s', (_n, sdp, want) => expect(audioInAnswer(sdp)).toBe(want));
});

describe('readBoxEvent: the box\'s event stream', () => {
  it.each([
    ['{"state":"live"}', { state: 'live' }],
    ['{"state":"ended"}', { state: 'ended' }],
    ['{"state":"live","audio":"on"}', { state: 'live', audio: 'on' }],
    ['{"state":"live","audio":"muted"}', { state: 'live', audio: 'muted' }],
    ['{"audio":"none"}', { audio: 'none' }],
    ['{"state":"live","audio":"loud"}', { state: 'live' }],
    ['{"state":"paused"}', {}],
    ['not json', {}],
    ['null', {}],
    ['"live"', {}],
  ])('%s → %j', (data, want) => expect(readBoxEvent(data)).toEqual(want));
  it('ignores data that is not text', () => expect(readBoxEvent(42)).toEqual({}));
});
