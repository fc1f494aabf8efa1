/**
 * X25519 (RFC 7748 §5) in plain TypeScript with BigInt (Safari 14+), for the page's half of
 * the claim's key exchange: WebCrypto's X25519 is recent (Safari 17, Chrome 133) and, like
 * all of crypto.subtle, absent on a plain-HTTP page.
 *
 * BigInt arithmetic is not constant-time. That is acceptable here: the page's secret is used
 * for exactly one exchange on the phone and then dropped, so there is no repeated operation
 * with one key for a timing attack to average over.
 */

const P = 2n ** 255n - 19n;
const A24 = 121665n; // (486662 - 2) / 4, RFC 7748 §5

const mod = (a: bigint): bigint => {
  const r = a % P;
  return r < 0n ? r + P : r;
};

function pow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = mod(result * b);
    b = mod(b * b);
  }
  return result;
}

function decodeLittleEndian(bytes: Uint8Array): bigint {
  let x = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i]!);
  return x;
}

function encodeLittleEndian(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** RFC 7748 §5: clamp the scalar; mask the u-coordinate's top bit and reduce it mod p. */
export function x25519(scalar: Uint8Array, uCoordinate: Uint8Array): Uint8Array {
  if (scalar.length !== 32 || uCoordinate.length !== 32) throw new RangeError('X25519 takes 32-byte inputs');
  const k = scalar.slice();
  k[0]! &= 248;
  k[31]! &= 127;
  k[31]! |= 64;
  const u = uCoordinate.slice();
  u[31]! &= 127;
  const kn = decodeLittleEndian(k);
  const x1 = mod(decodeLittleEndian(u));
  let [x2, z2, x3, z3] = [1n, 0n, x1, 1n];
  let swap = 0n;
  for (let t = 254n; t >= 0n; t--) {
    const kt = (kn >> t) & 1n;
    if (swap ^ kt) [x2, x3, z2, z3] = [x3, x2, z3, z2];
    swap = kt;
    const a = mod(x2 + z2);
    const aa = mod(a * a);
    const b = mod(x2 - z2);
    const bb = mod(b * b);
    const e = mod(aa - bb);
    const c = mod(x3 + z3);
    const d = mod(x3 - z3);
    const da = mod(d * a);
    const cb = mod(c * b);
    x3 = mod((da + cb) ** 2n);
    z3 = mod(x1 * mod((da - cb) ** 2n));
    x2 = mod(aa * bb);
    z2 = mod(e * (aa + A24 * e));
  }
  if (swap) [x2, z2] = [x3, z3];
  return encodeLittleEndian(mod(x2 * pow(z2, P - 2n)));
}

const BASE_POINT = encodeLittleEndian(9n);

/** The public key of a 32-byte secret. */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  return x25519(secret, BASE_POINT);
}
