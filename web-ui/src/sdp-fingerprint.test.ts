import { describe, expect, it } from 'vitest';
import { answerFingerprints, fingerprintMatches, normalizeFingerprint } from './sdp-fingerprint.js';

// The a=fingerprint line of a real Chromium 156 SDP (RFC 8122 §5 format, as in an answer).
const SDP_LINE = 'a=fingerprint:sha-256 65:5D:9A:E7:94:19:F8:D6:45:E1:AB:6B:45:C9:38:04:0E:A7:18:BD:8D:5F:D8:41:33:79:7D:45:44:F1:B0:2D';
const HEX = '655d9ae79419f8d645e1ab6b45c938040ea718bd8d5fd84133797d4544f1b02d';
// The same 32 bytes in base64url (checked with: xxd -r -p | base64 | tr '+/' '-_').
const B64URL = 'ZV2a55QZ-NZF4atrRck4BA6nGL2NX9hBM3l9RUTxsC0';
const ANSWER = ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 108', SDP_LINE, 'a=setup:passive', ''].join('\r\n');

describe('normalizeFingerprint', () => {
  it.each([
    ['SDP hex with colons', '65:5D:9A:E7:94:19:F8:D6:45:E1:AB:6B:45:C9:38:04:0E:A7:18:BD:8D:5F:D8:41:33:79:7D:45:44:F1:B0:2D', HEX],
    ['prefixed "sha-256 "', `sha-256 ${HEX.toUpperCase()}`, HEX],
    ['prefixed "sha-256:" then colons', 'sha-256:65:5D:9A:E7:94:19:F8:D6:45:E1:AB:6B:45:C9:38:04:0E:A7:18:BD:8D:5F:D8:41:33:79:7D:45:44:F1:B0:2D', HEX],
    ['plain hex', HEX, HEX],
    ['base64url digest', B64URL, HEX],
    ['too short to be a digest', 'abcd', null],
    ['not a fingerprint', 'hello world!', null],
  ])('%s', (_name, input, expected) => {
    expect(normalizeFingerprint(input)).toBe(expected);
  });
});

describe('fingerprintMatches', () => {
  it('reads the answer line', () => {
    expect(answerFingerprints(ANSWER)).toEqual([HEX]);
  });
  it.each([
    ['same digest as hex', HEX, true],
    ['same digest as base64url', B64URL, true],
    ['one byte different', HEX.replace(/^65/, '66'), false],
    ['unreadable expectation', 'nope', false],
  ])('%s', (_name, expected, result) => {
    expect(fingerprintMatches(ANSWER, expected)).toBe(result);
  });
  it('refuses an answer without a fingerprint', () => {
    expect(fingerprintMatches(ANSWER.replace(SDP_LINE + '\r\n', ''), HEX)).toBe(false);
  });
  it('refuses an answer that adds a second, different certificate', () => {
    const two = ANSWER.replace(SDP_LINE, `${SDP_LINE}\r\na=fingerprint:sha-256 ${'AA:'.repeat(31)}AA`);
    expect(fingerprintMatches(two, HEX)).toBe(false);
  });
});
