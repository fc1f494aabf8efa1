/** Tables for the pure pieces of the WebRTC hardening: candidate filter, cap, datagram rule, RTCP budget, session keys. */
import { X509Certificate, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RTCCertificate } from 'werift';
import { dropUnroutableCandidates, gathersOnLoopback, unroutableReason } from './candidate-filter.js';
import { admitDatagram, datagramKind } from './ice-datagram-guard.js';
import { checkOffer, MAX_CANDIDATES } from './offer-check.js';
import { boundNackList, TokenBucket } from './rtcp-guard.js';
import { generateSessionKeys, selfSignatureValid } from './session-keys.js';
import { OfferRejected } from './viewer-connection.js';

describe('unroutableReason', () => {
  const cases: [string, ReturnType<typeof unroutableReason>][] = [
    ['127.0.0.1', 'loopback'], ['127.9.9.9', 'loopback'], ['::1', 'loopback'], ['localhost', 'loopback'],
    ['169.254.10.1', 'link-local'], ['fe80::1', 'link-local'], ['FEBF::1', 'link-local'],
    ['224.0.0.251', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::fb', 'multicast'],
    ['255.255.255.255', 'broadcast'], ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['::ffff:127.0.0.1', 'loopback'],
    ['192.168.1.20', undefined], ['10.0.0.5', undefined], ['2001:db8::1', undefined], ['3f6c1a2e-1b1c-4f55-9d1e-0c1f5e1a2b3c.local', undefined],
  ];
  for (const [address, reason] of cases) it(`${address} → ${reason ?? 'routable'}`, () => expect(unroutableReason(address)).toBe(reason));
  it('gathersOnLoopback', () => {
    expect(gathersOnLoopback(['127.0.0.1'])).toBe(true);
    expect(gathersOnLoopback(['192.168.1.2'])).toBe(false);
    expect(gathersOnLoopback([])).toBe(false);
  });
});

describe('dropUnroutableCandidates', () => {
  const cand = (addr: string) => `a=candidate:1 1 udp 2122260223 ${addr} 50000 typ host`;
  const offer = ['v=0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', cand('192.168.1.20'), cand('127.0.0.1'), cand('169.254.1.1'), cand('224.0.0.1'), cand('fe80::1'), 'a=candidate:short'].join('\r\n');
  it('keeps only routable candidates when loopback is not allowed', () => {
    const out = dropUnroutableCandidates(offer, { allowLoopback: false });
    expect(out.match(/a=candidate/g)).toHaveLength(1);
    expect(out).toContain('192.168.1.20');
  });
  it('keeps loopback too when allowed (dev box, tests), never link-local or multicast', () => {
    const out = dropUnroutableCandidates(offer, { allowLoopback: true });
    expect(out.match(/a=candidate/g)).toHaveLength(2);
    expect(out).toContain('127.0.0.1');
    expect(out).not.toMatch(/169\.254|224\.0|fe80/);
  });
});

describe('candidate cap in checkOffer', () => {
  const base = (n: number) => [
    'v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', 'a=fingerprint:sha-256 ' + Array(32).fill('AB').join(':'),
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=setup:actpass', 'a=recvonly',
    'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f',
    ...Array.from({ length: n }, (_, i) => `a=candidate:${i} 1 udp 1 192.168.1.${i % 250} ${10000 + i} typ host`),
  ].join('\r\n') + '\r\n';
  it(`${MAX_CANDIDATES} candidates are accepted`, () => expect(() => checkOffer(base(MAX_CANDIDATES))).not.toThrow());
  it(`${MAX_CANDIDATES + 1} candidates are refused`, () => expect(() => checkOffer(base(MAX_CANDIDATES + 1))).toThrow(OfferRejected));
  it('10,000 candidates are refused (before the size limit would)', () => expect(() => checkOffer(base(10_000))).toThrow(/more than 64 ICE candidates|larger than/));
});

describe('datagram rule (RFC 7983 first byte; media only from ICE-proven sources)', () => {
  const proven = new Set(['192.168.1.20:5000']);
  const cases: [string, Buffer, string, boolean | undefined, boolean][] = [
    ['authentic STUN request from anyone', Buffer.from([0, 1]), '10.0.0.9:1', true, true],
    ['forged STUN request', Buffer.from([0, 1]), '10.0.0.9:1', false, false],
    ['STUN response (werift checks it)', Buffer.from([1, 1]), '10.0.0.9:1', undefined, true],
    ['DTLS from the proven source', Buffer.from([22]), '192.168.1.20:5000', undefined, true],
    ['DTLS ClientHello from a third address', Buffer.from([22]), '192.168.1.66:5000', undefined, false],
    ['DTLS from the right host, another port', Buffer.from([22]), '192.168.1.20:5001', undefined, false],
    ['SRTP from a third address', Buffer.from([0x80]), '192.168.1.66:5000', undefined, false],
    ['junk byte 0xff from the proven source', Buffer.from([0xff]), '192.168.1.20:5000', undefined, true],
  ];
  for (const [name, data, source, authentic, admitted] of cases) {
    it(name, () => expect(admitDatagram(datagramKind(data), source, proven, authentic)).toBe(admitted));
  }
  it('classifies by first byte', () => {
    expect([0, 3, 20, 63, 128, 191, 64, 255].map((b) => datagramKind(Buffer.from([b])))).toEqual(['stun', 'stun', 'dtls', 'dtls', 'rtp', 'rtp', 'other', 'other']);
    expect(datagramKind(Buffer.alloc(0))).toBe('other');
  });
});

describe('NACK budget', () => {
  it('dedupes and bounds a NACK list', () => {
    expect(boundNackList([5, 5, 6, 5, 7, 8], 3)).toEqual([5, 6, 7]);
    expect(boundNackList([], 10)).toEqual([]);
  });
  it('token bucket: a burst of 200, then 200 per second', () => {
    let now = 0;
    const bucket = new TokenBucket(200, () => now);
    expect(bucket.take(1000)).toBe(200);
    expect(bucket.take(10)).toBe(0);
    now += 500;
    expect(bucket.take(1000)).toBe(100);
    now += 10_000;
    expect(bucket.take(1000)).toBe(200); // never more than one second's worth
  });
});

describe('session keys', () => {
  it('a P-256 self-signed certificate werift accepts, with the fingerprint of its DER', () => {
    const k = generateSessionKeys();
    expect(selfSignatureValid(k)).toBe(true);
    const cert = new X509Certificate(k.dtls.certPem);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(k.fingerprint).toBe(createHash('sha256').update(cert.raw).digest('base64url'));
    expect(k.fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cert.fingerprint256).toBe(k.sdpFingerprint);
    const werift = new RTCCertificate(k.dtls.keyPem, k.dtls.certPem, k.dtls.signatureHash);
    expect(werift.getFingerprints()[0]!.value).toBe(k.sdpFingerprint);
  });
  it('every call makes a new key', () => {
    const a = generateSessionKeys();
    const b = generateSessionKeys();
    expect(a.fingerprint).not.toBe(b.fingerprint);
    expect(a.dtls.keyPem).not.toBe(b.dtls.keyPem);
  });
});
