/**
 * A machine-readable stamp in the luma of every synthetic frame, so latency tools can
 * read which frame a browser shows and when it was made.
 *
 * Layout (all sizes scale with the picture width W; at 1280x720 a cell is exactly one
 * 16x16 macroblock, which is what lets the stamp survive H.264 at ~4 Mbit/s):
 *   - A band of STAMP_ROWS = 2 rows × STAMP_COLUMNS = 80 square cells at the top of the
 *     picture. Cell (r, i) spans x ∈ [floor(i·W/80), floor((i+1)·W/80)) and
 *     y ∈ [floor(r·W/80), floor((r+1)·W/80)). Band height: stampBandHeight(W).
 *   - Each cell is one bit: white (Y = 235) for 1, black (Y = 16) for 0. Bits run
 *     row-major (row 0 left to right, then row 1), most significant bit first:
 *       8 bits  marker 0xB2
 *      32 bits  seq (frame counter, unsigned, mod 2^32)
 *      48 bits  timeMs (floor of the capture time in ms since the Unix epoch)
 *      16 bits  CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of the 10 bytes seq‖timeMs,
 *               both big-endian
 *     The remaining 56 cells are black.
 *   - Only luma is written; callers keep the band's chroma neutral (U = V = 128) so the
 *     RGB a browser renders converts back to the same luma.
 * Reading: sample the middle of each cell (cell size = canvas width / 80, so a canvas of
 * the intrinsic size ±1 px, or a uniformly scaled one, reads the same), threshold luma at
 * 128, check marker and CRC. A misread is rejected (null), never returned.
 */

export const STAMP_COLUMNS = 80;
export const STAMP_ROWS = 2;
const MARKER = 0xb2;
const WHITE = 235;
const BLACK = 16;

export interface Stamp {
  /** Frame counter, unsigned 32 bit. */
  readonly seq: number;
  /** Integer milliseconds since the Unix epoch (fractions are floored when written). */
  readonly timeMs: number;
}

/** Height in pixels of the stamp band at the top of a picture of this width. */
export function stampBandHeight(width: number): number {
  return Math.floor((STAMP_ROWS * width) / STAMP_COLUMNS);
}

function crc16(bytes: readonly number[]): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let k = 0; k < 8; k++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The 104 stamp bits for a value, in cell order. */
export function stampBits(stamp: Stamp): number[] {
  const seq = stamp.seq >>> 0;
  const t = Math.floor(stamp.timeMs);
  if (!(t >= 0 && t < 2 ** 48)) throw new RangeError(`stamp timeMs must be within 48 bits (got ${stamp.timeMs})`);
  const hi = Math.floor(t / 2 ** 32);
  const lo = t - hi * 2 ** 32;
  const bytes = [seq >>> 24, (seq >>> 16) & 255, (seq >>> 8) & 255, seq & 255, hi >>> 8, hi & 255, lo >>> 24, (lo >>> 16) & 255, (lo >>> 8) & 255, lo & 255];
  const crc = crc16(bytes);
  const bits: number[] = [];
  for (const b of [MARKER, ...bytes, crc >>> 8, crc & 255]) for (let k = 7; k >= 0; k--) bits.push((b >> k) & 1);
  return bits;
}

/** Draws the stamp into the top band of an I420 luma plane (width × height, stride = width). */
export function writeStamp(y: Buffer, width: number, height: number, stamp: Stamp): void {
  if (stampBandHeight(width) > height) throw new RangeError(`picture ${width}x${height} is too short for the stamp band`);
  const bits = stampBits(stamp);
  for (let r = 0; r < STAMP_ROWS; r++) {
    const y0 = Math.floor((r * width) / STAMP_COLUMNS);
    const y1 = Math.floor(((r + 1) * width) / STAMP_COLUMNS);
    for (let i = 0; i < STAMP_COLUMNS; i++) {
      const x0 = Math.floor((i * width) / STAMP_COLUMNS);
      const x1 = Math.floor(((i + 1) * width) / STAMP_COLUMNS);
      const v = bits[r * STAMP_COLUMNS + i] ? WHITE : BLACK;
      for (let row = y0; row < y1; row++) y.fill(v, row * width + x0, row * width + x1);
    }
  }
}

/**
 * Reads a stamp from RGBA pixels (a canvas's getImageData), or null when there is none
 * or it fails its checks. Self-contained on purpose — no imports, closures or inner
 * functions — so tests can ship its source (stampReaderSource) into a browser page.
 */
export function readStampFromRgba(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): { seq: number; timeMs: number } | null {
  var cell = width / 80;
  if (!(cell >= 1) || 2 * cell > height || rgba.length < width * height * 4) return null;
  var bits = [];
  for (var n = 0; n < 104; n++) {
    var row = Math.floor(n / 80);
    var col = n % 80;
    var cx = (col + 0.5) * cell;
    var cy = (row + 0.5) * cell;
    var sum = 0;
    var count = 0;
    for (var dy = -1; dy <= 1; dy++) {
      for (var dx = -1; dx <= 1; dx++) {
        var px = Math.min(width - 1, Math.max(0, Math.floor(cx + (dx * cell) / 4)));
        var py = Math.min(height - 1, Math.max(0, Math.floor(cy + (dy * cell) / 4)));
        var o = (py * width + px) * 4;
        sum += 0.299 * rgba[o]! + 0.587 * rgba[o + 1]! + 0.114 * rgba[o + 2]!;
        count++;
      }
    }
    bits.push(sum / count >= 128 ? 1 : 0);
  }
  var bytes = [];
  for (var b = 0; b < 13; b++) {
    var v = 0;
    for (var k = 0; k < 8; k++) v = v * 2 + bits[b * 8 + k]!;
    bytes.push(v);
  }
  if (bytes[0] !== 0xb2) return null;
  var crc = 0xffff;
  for (var i = 1; i <= 10; i++) {
    crc ^= bytes[i]! << 8;
    for (var j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  if (crc !== bytes[11]! * 256 + bytes[12]!) return null;
  var seq = ((bytes[1]! << 24) >>> 0) + (bytes[2]! << 16) + (bytes[3]! << 8) + bytes[4]!;
  var timeMs = (bytes[5]! * 256 + bytes[6]!) * 4294967296 + ((bytes[7]! << 24) >>> 0) + (bytes[8]! << 16) + (bytes[9]! << 8) + bytes[10]!;
  return { seq: seq, timeMs: timeMs };
}

/**
 * The reader's source, for `page.evaluate`: `new Function('return ' + stampReaderSource)()`
 * gives a working readStampFromRgba in any JavaScript realm.
 */
export const stampReaderSource: string = readStampFromRgba.toString();
