/**
 * The two RTP header extensions the box adds to every viewer's video packets, as
 * one-byte-header elements (RFC 8285 §4.2): the caller supplies the negotiated id, werift
 * writes `|ID(4)|len-1(4)|data|`.
 *
 * playout-delay — http://www.webrtc.org/experiments/rtp-hdrext/playout-delay
 *   (libwebrtc docs/native-code/rtp-hdrext/playout-delay/README.md)
 *     0                   1                   2
 *     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    |       MIN delay       |       MAX delay       |
 *    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   12-bit unsigned values in 10 ms units (0..40950 ms). min = max = 0 asks the receiver
 *   to render each frame as soon as it is decoded (no jitter buffer): measured here to cut
 *   Chromium's receive-to-present time from ~25 ms to ~3 ms (field notes).
 *
 * abs-capture-time — http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time
 *   (libwebrtc docs/native-code/rtp-hdrext/abs-capture-time/README.md)
 *   8 bytes: absolute capture timestamp, UQ32.32 NTP time (seconds since 1900-01-01 UTC)
 *   of when the first frame data was captured; optionally 8 more bytes: estimated capture
 *   clock offset (Q32.32, capturer clock minus sender clock). The box is both capturer and
 *   sender, so the offset would be 0 and is left out (len = 8).
 */

export const PLAYOUT_DELAY_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/playout-delay';
export const ABS_CAPTURE_TIME_URI = 'http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time';

/** Largest delay the 12-bit field can carry, ms. */
export const PLAYOUT_DELAY_MAX_MS = 0xfff * 10;

/**
 * Serialises playout-delay limits given in ms; values are rounded up to the next 10 ms
 * (asking for less delay than configured would be a surprise; asking 10 ms more is not).
 */
export function serializePlayoutDelay(minMs: number, maxMs: number): Buffer {
  const units = (ms: number, name: string): number => {
    if (!Number.isFinite(ms) || ms < 0 || ms > PLAYOUT_DELAY_MAX_MS) {
      throw new RangeError(`playout-delay ${name} must be 0..${PLAYOUT_DELAY_MAX_MS} ms (got ${ms})`);
    }
    return Math.ceil(ms / 10);
  };
  const min = units(minMs, 'min');
  const max = units(maxMs, 'max');
  if (min > max) throw new RangeError(`playout-delay min (${minMs} ms) is above max (${maxMs} ms)`);
  return Buffer.from([min >> 4, ((min & 0x0f) << 4) | (max >> 8), max & 0xff]);
}

/** Reads a playout-delay element back into ms (for tests and diagnostics). */
export function parsePlayoutDelay(data: Uint8Array): { minMs: number; maxMs: number } {
  if (data.length !== 3) throw new Error(`playout-delay must be 3 bytes (got ${data.length})`);
  const min = (data[0]! << 4) | (data[1]! >> 4);
  const max = ((data[1]! & 0x0f) << 8) | data[2]!;
  return { minMs: min * 10, maxMs: max * 10 };
}

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970), RFC 5905 §6. */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** Unix time in ms (sub-ms allowed) → 64-bit NTP timestamp as [seconds, fraction]. */
export function unixMsToNtp(unixMs: number): [number, number] {
  const totalS = Math.floor(unixMs / 1000);
  const remMs = unixMs - totalS * 1000;
  let fraction = Math.round((remMs / 1000) * 2 ** 32);
  let seconds = totalS + NTP_UNIX_OFFSET_S;
  if (fraction >= 2 ** 32) {
    fraction -= 2 ** 32;
    seconds += 1;
  }
  return [seconds % 2 ** 32, fraction];
}

/** Serialises abs-capture-time (8 bytes, no clock offset) for a capture time in Unix ms. */
export function serializeAbsCaptureTime(captureTimeMs: number): Buffer {
  const [seconds, fraction] = unixMsToNtp(captureTimeMs);
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(seconds, 0);
  out.writeUInt32BE(fraction, 4);
  return out;
}

/** Reads abs-capture-time's timestamp back into Unix ms (8- or 16-byte forms). */
export function parseAbsCaptureTime(data: Uint8Array): number {
  if (data.length !== 8 && data.length !== 16) {
    throw new Error(`abs-capture-time must be 8 or 16 bytes (got ${data.length})`);
  }
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return (b.readUInt32BE(0) - NTP_UNIX_OFFSET_S) * 1000 + (b.readUInt32BE(4) / 2 ** 32) * 1000;
}
