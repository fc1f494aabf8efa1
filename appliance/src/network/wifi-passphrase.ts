import { randomInt } from 'node:crypto';

/**
 * The hotspot's per-session WPA2 passphrase. It is read by a phone's camera from the
 * WIFI: QR code, but sometimes typed by hand, so the alphabet has no look-alikes
 * (no 0/o, 1/l/i) and no capitals: 31 symbols, ~4.95 bits each; 24 of them ≈ 119 bits,
 * far beyond what an offline dictionary attack on a captured WPA2 handshake can try
 * during (or long after) a session. It lives only in memory and in the RAM-only
 * hostapd file (hotspot.ts); never log it (the logger redacts `passphrase` keys).
 */
export const PASSPHRASE_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const PASSPHRASE_LENGTH = 24;

/** Bits of entropy in a passphrase of `length` symbols from PASSPHRASE_ALPHABET. */
export function passphraseBits(length = PASSPHRASE_LENGTH): number {
  return length * Math.log2(PASSPHRASE_ALPHABET.length);
}

/**
 * A fresh passphrase from the OS CSPRNG (crypto.randomInt is unbiased). `pick` is for
 * tests only. WPA2 needs 8..63 printable ASCII characters (IEEE 802.11-2020 J.4.1).
 */
export function generatePassphrase(length = PASSPHRASE_LENGTH, pick: (n: number) => number = randomInt): string {
  if (!Number.isInteger(length) || length < 20 || length > 63) {
    throw new RangeError(`passphrase length must be 20..63 symbols (got ${length})`);
  }
  let out = '';
  for (let i = 0; i < length; i++) out += PASSPHRASE_ALPHABET[pick(PASSPHRASE_ALPHABET.length)]!;
  return out;
}
