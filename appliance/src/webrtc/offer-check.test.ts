import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkOffer, type CheckedOffer } from './offer-check.js';
import { pinOfferToH264, signalProfileLevelId } from './offer-pinning.js';
import { OfferRejected } from './viewer-connection.js';

const fixture = (name: string): string => readFileSync(new URL(`./test/fixtures/${name}`, import.meta.url), 'utf8');
const CHROMIUM = fixture('chromium-156-recvonly-offer.sdp');
const CHROMIUM_ACT = fixture('chromium-156-recvonly-offer-abs-capture-time.sdp');
const FIREFOX = fixture('firefox-153-recvonly-offer.sdp');
const FIREFOX_AV = fixture('firefox-153-audio-video-offer.sdp');
const CHROMIUM_MDNS = fixture('chromium-156-recvonly-offer-mdns.sdp');
const SAFARI = fixture('safari-ios-recvonly-offer.sdp');
const AIORTC = fixture('aiortc-1.4-audio-video-offer.sdp');

/** A small valid offer; tests break one thing at a time. */
const VALID = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 102 104',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  'a=fingerprint:sha-256 ' + Array(32).fill('AB').join(':'),
  'a=setup:actpass', 'a=mid:0', 'a=recvonly', 'a=rtcp-mux',
  'a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:102 H264/90000', 'a=rtcp-fb:102 nack pli', 'a=rtcp-fb:102 transport-cc',
  'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:104 H264/90000', 'a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
].join('\r\n') + '\r\n';
const edit = (from: RegExp | string, to: string): string => VALID.replace(from, to);

describe('checkOffer rejects', () => {
  const cases: { name: string; offer: unknown; reason: RegExp }[] = [
    { name: 'a non-string', offer: { sdp: VALID }, reason: /must be text/ },
    { name: 'an empty offer', offer: '', reason: /empty/ },
    { name: 'non-SDP text', offer: '<html>hello</html>', reason: /start with "v=0"/ },
    { name: 'JSON', offer: JSON.stringify({ type: 'offer', sdp: VALID }), reason: /start with "v=0"/ },
    { name: 'an oversized offer', offer: VALID + 'a=x:' + 'y'.repeat(40_000) + '\r\n', reason: /larger than/ },
    { name: '10,000 m-sections', offer: 'v=0\n' + 'm=video 9 UDP/TLS/RTP/SAVPF 96\n'.repeat(10_000), reason: /larger than/ },
    { name: 'too many small m-sections', offer: 'v=0\n' + 'm=audio 9 UDP/TLS/RTP/SAVPF 0\n'.repeat(9), reason: /more than 8 m-sections/ },
    { name: 'a garbage line', offer: edit('s=-', 'this is not sdp'), reason: /not "<type>=<value>"/ },
    { name: 'no video m-section', offer: edit('m=video', 'm=audio'), reason: /no video m-section/ },
    { name: 'a rejected (port 0) video m-section', offer: edit('m=video 9', 'm=video 0'), reason: /no video m-section/ },
    { name: 'two video m-sections', offer: VALID + 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\n', reason: /2 video m-sections/ },
    { name: 'plain RTP/AVP', offer: edit('UDP/TLS/RTP/SAVPF', 'RTP/AVP'), reason: /UDP\/TLS\/RTP\/SAVPF/ },
    { name: 'sendonly video', offer: edit('a=recvonly', 'a=sendonly'), reason: /sendonly/ },
    { name: 'only VP8', offer: VALID.replace(/a=(rtpmap|fmtp|rtcp-fb):10[24].*\r\n/g, ''), reason: /no H\.264;/ },
    { name: 'only packetization-mode=0', offer: edit('packetization-mode=1;profile-level-id=42e01f', 'packetization-mode=0;profile-level-id=42e01f'), reason: /packetization-mode=1/ },
    { name: 'only High profile', offer: edit('profile-level-id=42e01f\r\na=rtpmap:104', 'profile-level-id=64001f\r\na=rtpmap:104'), reason: /Baseline/ },
    { name: 'missing ice-ufrag', offer: edit('a=ice-ufrag:abcd\r\n', ''), reason: /ICE credentials/ },
    { name: 'missing ice-pwd', offer: edit('a=ice-pwd:abcdefghijklmnopqrstuvwx\r\n', ''), reason: /ICE credentials/ },
    { name: 'a too-short ice-pwd', offer: edit('a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=ice-pwd:short'), reason: /malformed ICE/ },
    { name: 'missing fingerprint', offer: edit(/a=fingerprint:.*\r\n/, ''), reason: /no DTLS fingerprint/ },
    { name: 'two different sha-256 fingerprints', offer: edit(/(a=fingerprint:.*\r\n)/, '$1a=fingerprint:sha-256 ' + Array(32).fill('CD').join(':') + '\r\n'), reason: /conflicting sha-256/ },
    { name: 'only a sha-1 fingerprint', offer: edit(/a=fingerprint:.*\r\n/, 'a=fingerprint:sha-1 ' + Array(20).fill('AB').join(':') + '\r\n'), reason: /sha-256/ },
    { name: 'missing a=setup', offer: edit('a=setup:actpass\r\n', ''), reason: /a=setup/ },
    { name: 'a=setup:holdconn', offer: edit('a=setup:actpass', 'a=setup:holdconn'), reason: /unknown DTLS role/ },
  ];
  it.each(cases)('$name', ({ offer, reason }) => {
    let error: unknown;
    try {
      checkOffer(offer);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OfferRejected);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).not.toContain('\n');
  });

  it('rejects 10,000 tiny m-sections fast even under the size limit', () => {
    const offer = 'v=0\n' + 'm=a 9 b 0\n'.repeat(3000);
    const t = performance.now();
    expect(() => checkOffer(offer)).toThrow(/more than 8 m-sections/);
    expect(performance.now() - t).toBeLessThan(50);
  });
});

describe('checkOffer accepts', () => {
  it('the small valid offer, preferring 42e01f mode 1 and reading the extmap id', () => {
    expect(checkOffer(VALID)).toEqual({
      videoIndex: 0,
      videoMid: '0',
      h264: { payloadType: 102, profileLevelId: '42e01f', rtcpFeedback: ['nack pli', 'transport-cc'] },
      extensionIds: { playoutDelay: 5, absCaptureTime: undefined },
    });
  });
  it('LF line endings', () => {
    expect(checkOffer(VALID.replace(/\r\n/g, '\n')).h264.payloadType).toBe(102);
  });
  it('a=sendrecv and session-level ICE/fingerprint/setup', () => {
    const moved = VALID.replace('a=recvonly', 'a=sendrecv').replace(/(a=(ice-ufrag|ice-pwd|fingerprint|setup):.*\r\n)/g, '');
    const session = VALID.match(/a=(ice-ufrag|ice-pwd|fingerprint|setup):.*\r\n/g)!.join('');
    expect(checkOffer(moved.replace('a=group:BUNDLE 0\r\n', 'a=group:BUNDLE 0\r\n' + session)).h264.payloadType).toBe(102);
  });
  it('plain Baseline 42001f when nothing better is offered', () => {
    expect(checkOffer(edit('profile-level-id=42e01f\r\na=rtpmap:104', 'profile-level-id=42001f\r\na=rtpmap:104')).h264.profileLevelId).toBe('42001f');
  });
  it('real Chromium 156 offer: picks 42e01f mode 1 (PT 108), playout-delay id 5', () => {
    const c = checkOffer(CHROMIUM);
    expect(c.h264.payloadType).toBe(108);
    expect(c.h264.profileLevelId).toBe('42e01f');
    expect(c.extensionIds).toEqual({ playoutDelay: 5, absCaptureTime: undefined });
  });
  it('real Chromium 156 offer asking for abs-capture-time: id 13', () => {
    expect(checkOffer(CHROMIUM_ACT).extensionIds).toEqual({ playoutDelay: 5, absCaptureTime: 13 });
  });
  // One case per offer shape seen in the wild (test/fixtures/README.md).
  const wild: { name: string; offer: string; pt: number; playoutDelay: number | undefined; audio: CheckedOffer['audio'] }[] = [
    { name: 'Firefox ESR 153 (the page, default ICE)', offer: FIREFOX, pt: 126, playoutDelay: 6, audio: undefined },
    { name: 'Firefox ESR 153, audio + video, video bundle-only with port 0', offer: FIREFOX_AV, pt: 126, playoutDelay: 6, audio: { index: 0, opusPayloadType: 109, receives: true } },
    { name: 'Chromium 156 (the page, default mDNS)', offer: CHROMIUM_MDNS, pt: 108, playoutDelay: 5, audio: undefined },
    // High profile 640c1f comes first in Safari's list; the box must still pick 42e01f.
    { name: 'Safari iOS (High profile listed first)', offer: SAFARI, pt: 98, playoutDelay: 6, audio: undefined },
    { name: 'aiortc 1.4, audio + video', offer: AIORTC, pt: 101, playoutDelay: undefined, audio: { index: 0, opusPayloadType: 96, receives: true } },
  ];
  it.each(wild)('$name: H.264 PT $pt', ({ offer, pt, playoutDelay, audio }) => {
    const c = checkOffer(offer);
    expect(c.h264.payloadType).toBe(pt);
    expect(c.h264.profileLevelId).toBe('42e01f');
    expect(c.extensionIds.playoutDelay).toBe(playoutDelay);
    expect(c.audio).toEqual(audio);
  });
  it('a port-0 section without a=bundle-only (or outside the BUNDLE group) is rejected, not live', () => {
    expect(() => checkOffer(FIREFOX_AV.replace('a=bundle-only\r\n', ''))).toThrow(/no video m-section/);
    expect(() => checkOffer(FIREFOX_AV.replace(/a=group:BUNDLE 0 1/, 'a=group:BUNDLE 0'))).toThrow(/no video m-section/);
  });
  it('an audio section without Opus is reported without a payload type', () => {
    const pcmuOnly = AIORTC.replace('m=audio 53706 UDP/TLS/RTP/SAVPF 96 0 8', 'm=audio 53706 UDP/TLS/RTP/SAVPF 0 8');
    expect(checkOffer(pcmuOnly).audio).toEqual({ index: 0, opusPayloadType: undefined, receives: true });
  });
  it.each([
    ['recvonly', true],
    ['sendrecv', true],
    ['sendonly', false], // the viewer would send sound; the box has nothing to receive it with
    ['inactive', false],
  ])('an audio section offered %s: the box may send its sound there: %s', (direction, receives) => {
    const offer = AIORTC.replace(/(m=audio [^\r\n]*\r?\n(?:(?!m=)[^\r\n]*\r?\n)*?)a=(?:sendrecv|recvonly|sendonly|inactive)\r?\n/, `$1a=${direction}\r\n`);
    expect(offer).toContain(`a=${direction}`);
    expect(checkOffer(offer).audio?.receives).toBe(receives);
  });
});

describe('pinOfferToH264', () => {
  it('leaves exactly the chosen payload type with the pinned feedback', () => {
    const pinned = pinOfferToH264(CHROMIUM, checkOffer(CHROMIUM));
    expect(pinned).toMatch(/^m=video \d+ UDP\/TLS\/RTP\/SAVPF 108$/m);
    expect(pinned.match(/^a=rtpmap:.*$/gm)).toEqual(['a=rtpmap:108 H264/90000']);
    expect(pinned.match(/^a=rtcp-fb:.*$/gm)?.map((l) => l.trim()).sort()).toEqual(
      ['a=rtcp-fb:108 ccm fir', 'a=rtcp-fb:108 goog-remb', 'a=rtcp-fb:108 nack', 'a=rtcp-fb:108 nack pli'],
    );
    expect(pinned).toContain('a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
    // Everything else survives, and the result still passes the check.
    expect(pinned).toContain('a=ice-ufrag:');
    expect(pinned).toContain('a=extmap:5 http://www.webrtc.org/experiments/rtp-hdrext/playout-delay');
    expect(checkOffer(pinned).h264.payloadType).toBe(108);
  });
  it('pins an audio section to Opus with no feedback, drops its a=ssrc, keeps its rtcp-mux', () => {
    const pinned = pinOfferToH264(AIORTC, checkOffer(AIORTC));
    const audio = pinned.slice(pinned.indexOf('m=audio'), pinned.indexOf('m=video'));
    expect(audio).toMatch(/^m=audio 53706 UDP\/TLS\/RTP\/SAVPF 96\r\n/);
    expect(audio.match(/^a=rtpmap:.*$/gm)).toEqual(['a=rtpmap:96 opus/48000/2']);
    expect(audio).not.toMatch(/a=ssrc/);
    expect(audio).toContain('a=rtcp-mux');
    expect(pinned).toMatch(/^m=video 59392 UDP\/TLS\/RTP\/SAVPF 101$/m);
  });
  it('gives a bundle-only section the port 9 werift understands (it knows no bundle-only)', () => {
    const pinned = pinOfferToH264(FIREFOX_AV, checkOffer(FIREFOX_AV));
    expect(pinned).toMatch(/^m=video 9 UDP\/TLS\/RTP\/SAVPF 126$/m);
    expect(pinned).toMatch(/^m=audio 9 UDP\/TLS\/RTP\/SAVPF 109$/m);
  });
  it('drops the video section\'s a=ssrc lines (werift would route PLIs to a receiver)', () => {
    const withSsrc = VALID.replace('a=rtcp-mux\r\n', 'a=rtcp-mux\r\na=ssrc:1234 cname:x\r\na=ssrc-group:FID 1234 5678\r\n');
    const pinned = pinOfferToH264(withSsrc, checkOffer(withSsrc));
    expect(pinned).not.toMatch(/a=ssrc/);
    expect(pinned).toMatch(/^m=video 9 UDP\/TLS\/RTP\/SAVPF 102$/m);
  });
});

describe('signalProfileLevelId', () => {
  const answer = 'm=video 9 UDP/TLS/RTP/SAVPF 108\r\na=rtpmap:108 H264/90000\r\na=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\na=fmtp:109 apt=108\r\n';
  it('sets the chosen format\'s profile-level-id, nothing else', () => {
    expect(signalProfileLevelId(answer, 108, '42e028')).toBe(answer.replace('profile-level-id=42e01f', 'profile-level-id=42e028'));
  });
  it('adds it when the fmtp has none', () => {
    expect(signalProfileLevelId(answer.replace(';profile-level-id=42e01f', ''), 108, '42e01f')).toContain('a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n');
  });
});
