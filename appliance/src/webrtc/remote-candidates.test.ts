import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkOffer } from './offer-check.js';
import { splitRemoteCandidates, withAddress } from './remote-candidates.js';

const fixture = (name: string): string => readFileSync(new URL(`./test/fixtures/${name}`, import.meta.url), 'utf8');

/** Every offer shape seen in the wild (test/fixtures/README.md says where each came from). */
const shapes: { name: string; file: string; mdns: number; endOfCandidates: boolean; left: number }[] = [
  // Firefox: two mDNS names (IPv4, IPv6), UDP + TCP active, RTP and RTCP components, end-of-candidates.
  { name: 'Firefox ESR 153, default ICE', file: 'firefox-153-recvonly-offer.sdp', mdns: 2, endOfCandidates: true, left: 0 },
  { name: 'Firefox ESR 153, audio + video (max-bundle, video bundle-only)', file: 'firefox-153-audio-video-offer.sdp', mdns: 2, endOfCandidates: true, left: 0 },
  // Chromium: one mDNS name per address family, no end-of-candidates.
  { name: 'Chromium 156, default mDNS', file: 'chromium-156-recvonly-offer-mdns.sdp', mdns: 2, endOfCandidates: false, left: 0 },
  { name: 'Chromium 156, mDNS hiding off (loopback tests)', file: 'chromium-156-recvonly-offer.sdp', mdns: 0, endOfCandidates: false, left: 2 },
  { name: 'Safari iOS (reconstructed, see README)', file: 'safari-ios-recvonly-offer.sdp', mdns: 1, endOfCandidates: false, left: 0 },
  // aiortc: plain addresses, the same two candidates repeated in each bundled section.
  { name: 'aiortc 1.4, audio + video', file: 'aiortc-1.4-audio-video-offer.sdp', mdns: 0, endOfCandidates: true, left: 4 },
];

describe('splitRemoteCandidates on real offers', () => {
  it.each(shapes)('$name', ({ file, mdns, endOfCandidates, left }) => {
    const offer = fixture(file);
    expect(offer.includes('a=end-of-candidates')).toBe(endOfCandidates);
    const split = splitRemoteCandidates(offer);
    // werift never hears that the list is complete, so it keeps checking (and learning prflx).
    expect(split.offer).not.toContain('a=end-of-candidates');
    expect(split.offer).not.toMatch(/\.local /);
    expect(split.mdns).toHaveLength(mdns);
    expect(split.offer.match(/^a=candidate:/gm) ?? []).toHaveLength(left);
    for (const c of split.mdns) {
      expect(c.hostname).toMatch(/^[0-9a-f-]{36}\.local$/);
      expect(c.candidate).toMatch(/^candidate:\S+ 1 udp /i);
      expect(c.sdpMid).toBe('0');
      expect(c.sdpMLineIndex).toBe(0);
    }
    // Everything else is untouched, and the box can still answer it.
    expect(split.offer.replace(/\r\n/g, '\n').split('\n').filter((l) => !l.startsWith('a=candidate:')).length)
      .toBe(offer.replace(/\r\n/g, '\n').split('\n').filter((l) => l !== '' && l !== 'a=end-of-candidates' && !l.startsWith('a=candidate:')).length + 1);
    expect(() => checkOffer(split.offer)).not.toThrow();
  });

  it('keeps one copy of a BUNDLE transport candidate repeated per section', () => {
    const offer = fixture('firefox-153-audio-video-offer.sdp');
    // Firefox puts candidates only in the first (audio) section: names from mid 0 only.
    expect(new Set(splitRemoteCandidates(offer).mdns.map((c) => c.sdpMid))).toEqual(new Set(['0']));
    const twice = offer.replace(/(a=mid:1\r\n)/, `$1${offer.match(/^a=candidate:0 1 UDP .*$/m)![0]}\r\n`);
    expect(splitRemoteCandidates(twice).mdns).toHaveLength(2);
  });

  it('an offer without candidates (peer-reflexive only) loses nothing', () => {
    const offer = fixture('chromium-156-recvonly-offer.sdp').replace(/^a=candidate:.*\r\n/gm, '');
    const split = splitRemoteCandidates(offer);
    expect(split.mdns).toEqual([]);
    expect(split.offer).toBe(offer);
  });
});

describe('withAddress', () => {
  it('replaces only the connection address (RFC 8839 §5.1, 5th field)', () => {
    const c = 'candidate:0 1 UDP 2122187007 b2b58896-4f0b-4229-9a6e-88c4db929005.local 43821 typ host';
    expect(withAddress(c, '10.77.0.2')).toBe('candidate:0 1 UDP 2122187007 10.77.0.2 43821 typ host');
    expect(withAddress(c, 'fd77::2')).toBe('candidate:0 1 UDP 2122187007 fd77::2 43821 typ host');
  });
});
