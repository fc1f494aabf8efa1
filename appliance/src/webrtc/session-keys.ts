/**
 * Per-session DTLS keys: a fresh ECDSA P-256 key and self-signed certificate for each
 * viewing session, held in RAM only, and the fingerprint the link carries so the page
 * can pin it (RFC 8122 §5: the fingerprint is a hash of the DER certificate).
 *
 * Why not werift's own generator (CipherContext.createSelfSignedCertificateWithKey): it
 * is async (WebCrypto), and a link is made synchronously the moment a session starts, with
 * the fingerprint already in it. Building the certificate here takes ~1 ms and needs
 * only node:crypto: the key from generateKeyPairSync, the TBSCertificate in DER by hand
 * (RFC 5280 §4.1, X.509 v1: no extensions needed for a DTLS self-signed certificate;
 * werift's own certificate has none either), signed ecdsa-with-SHA256 (RFC 5758 §3.2).
 * Without this werift uses ONE certificate for the life of the process
 * (RTCDtlsTransport.localCertificate, node_modules/werift/lib/webrtc/src/transport/dtls.js).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { HashAlgorithm, SignatureAlgorithm, type DtlsKeys } from 'werift';

/** One session's keys, as werift's `dtls.keys` wants them, and the pinned fingerprint. */
export interface SessionKeys {
  readonly dtls: DtlsKeys;
  /** base64url of the SHA-256 digest of the DER certificate: 43 characters, the link's `f=`. */
  readonly fingerprint: string;
  /** The same digest as SDP writes it (`AB:CD:...`, RFC 8122 §5). */
  readonly sdpFingerprint: string;
}

/** Generates a fresh key and certificate. Synchronous, ~1 ms. */
export function generateSessionKeys(now = new Date()): SessionKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2')); // RFC 5758 §3.2: parameters absent
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from('sonobox'))))); // CN=sonobox
  const serial = randomBytes(8);
  serial[0]! &= 0x7f; // a positive INTEGER (RFC 5280 §4.1.2.2)
  const tbs = seq(
    int(serial),
    ecdsaWithSha256,
    name,
    // Validity is not checked for fingerprint-authenticated DTLS; a day either side of now.
    seq(utcTime(new Date(now.getTime() - 86_400_000)), utcTime(new Date(now.getTime() + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.of(0), signature])));
  const digest = createHash('sha256').update(der).digest();
  return {
    dtls: {
      certPem: pem('CERTIFICATE', der),
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      signatureHash: { hash: HashAlgorithm.sha256_4, signature: SignatureAlgorithm.ecdsa_3 },
    },
    fingerprint: digest.toString('base64url'),
    sdpFingerprint: [...digest].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':'),
  };
}

/** True when the certificate parses and its signature verifies with its own key. */
export function selfSignatureValid(keys: SessionKeys): boolean {
  const cert = new X509Certificate(keys.dtls.certPem);
  return cert.verify(cert.publicKey);
}

// DER (X.690 §8) for the handful of types a certificate needs.
function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.of(n) : n < 0x100 ? Buffer.of(0x81, n) : Buffer.of(0x82, n >> 8, n & 0xff);
  return Buffer.concat([Buffer.of(tag), len, content]);
}
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts));
const int = (bytes: Buffer): Buffer => tlv(0x02, bytes);
function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const v of rest) {
    const base128 = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) base128.unshift((x & 0x7f) | 0x80);
    out.push(...base128);
  }
  return tlv(0x06, Buffer.from(out));
}
function utcTime(d: Date): Buffer {
  // YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1); valid for years 1950..2049.
  const s = d.toISOString();
  return tlv(0x17, Buffer.from(`${s.slice(2, 4)}${s.slice(5, 7)}${s.slice(8, 10)}${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z`));
}
function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
