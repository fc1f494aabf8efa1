import { describe, expect, it } from 'vitest';
import { constantTimeEqual, fromBase64url, fromHex, toBase64url, toHex, utf8 } from './bytes.js';
import { hkdfExpand, hkdfExtract, hkdfSha256, hmacSha256 } from './hmac.js';
import { sha256 } from './sha256.js';
import { x25519, x25519PublicKey } from './x25519.js';

const ascii = (s: string): Uint8Array => utf8(s);
const repeat = (byte: number, n: number): Uint8Array => new Uint8Array(n).fill(byte);
const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from }, (_, i) => from + i);

describe('SHA-256 (FIPS 180-2 appendix B)', () => {
  it.each([
    ['empty', new Uint8Array(0), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['B.1 "abc"', ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['B.2 448 bits (two blocks of padding)', ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'), '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    ['B.3 one million "a"', repeat(0x61, 1_000_000), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0'],
  ])('%s', (_name, message, digest) => {
    expect(toHex(sha256(message))).toBe(digest);
  });
});

describe('HMAC-SHA256 (RFC 4231 §4)', () => {
  it.each([
    ['1', repeat(0x0b, 20), ascii('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['2 (short key)', ascii('Jefe'), ascii('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['3', repeat(0xaa, 20), repeat(0xdd, 50), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    ['4', range(1, 26), repeat(0xcd, 50), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    ['5 (truncated to 128 bits)', repeat(0x0c, 20), ascii('Test With Truncation'), 'a3b6167473100ee06e0c796c2955552b'],
    ['6 (key longer than a block)', repeat(0xaa, 131), ascii('Test Using Larger Than Block-Size Key - Hash Key First'), '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    ['7 (key and data longer than a block)', repeat(0xaa, 131), ascii('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'), '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
  ])('test case %s', (_name, key, data, mac) => {
    expect(toHex(hmacSha256(key, data)).slice(0, mac.length)).toBe(mac);
  });
});

describe('HKDF-SHA256 (RFC 5869 appendix A)', () => {
  it.each([
    ['A.1 basic', repeat(0x0b, 22), range(0x00, 0x0d), range(0xf0, 0xfa), 42, '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5', '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'],
    ['A.2 longer inputs and output', range(0x00, 0x50), range(0x60, 0xb0), range(0xb0, 0x100), 82, '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244', 'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87'],
    ['A.3 no salt, no info', repeat(0x0b, 22), new Uint8Array(0), new Uint8Array(0), 42, '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04', '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8'],
  ])('%s', (_name, ikm, salt, info, length, prk, okm) => {
    expect(toHex(hkdfExtract(salt, ikm))).toBe(prk);
    expect(toHex(hkdfExpand(fromHex(prk), info, length))).toBe(okm);
    expect(toHex(hkdfSha256(ikm, salt, info, length))).toBe(okm);
  });
});

describe('X25519 (RFC 7748)', () => {
  it.each([
    ['§5.2 vector 1', 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4', 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c', 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552'],
    ['§5.2 vector 2 (u with its top bit set: masked)', '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d', 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493', '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957'],
    ['§6.1 Alice and Bob', '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'],
    ['§6.1 Bob and Alice', '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'],
  ])('%s', (_name, k, u, out) => {
    expect(toHex(x25519(fromHex(k), fromHex(u)))).toBe(out);
  });

  it('§6.1 public keys', () => {
    expect(toHex(x25519PublicKey(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(toHex(x25519PublicKey(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
  });

  // The 1,000-iteration vector of §5.2 is left out: 1,000 BigInt ladders take seconds, and
  // page-interop.test.ts checks 40 random exchanges against node:crypto instead.
  it('§5.2 iterated once', () => {
    const nine = fromHex(`09${'00'.repeat(31)}`);
    expect(toHex(x25519(nine, nine))).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
  });
});

describe('bytes', () => {
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['\xff\xfe', '__4'],
  ])('base64url %j ↔ %s (RFC 4648 §10, URL alphabet)', (text, b64u) => {
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    expect(toBase64url(bytes)).toBe(b64u);
    expect(fromBase64url(b64u)).toEqual(bytes);
  });

  it.each([['Zh', 'spare bits set'], ['Zm9=', 'padding'], ['Z', 'one character'], ['Zm+v', 'standard alphabet']])('refuses %s (%s)', (text) => {
    expect(fromBase64url(text)).toBeNull();
  });

  it('constantTimeEqual', () => {
    expect(constantTimeEqual(fromHex('0102'), fromHex('0102'))).toBe(true);
    expect(constantTimeEqual(fromHex('0102'), fromHex('0103'))).toBe(false);
    expect(constantTimeEqual(fromHex('0102'), fromHex('01'))).toBe(false);
  });
});
