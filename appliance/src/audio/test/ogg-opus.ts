/**
 * Test support: Opus packets → an Ogg Opus stream (RFC 7845 over RFC 3533), so an
 * independent decoder (Debian's ffmpeg) can play what the box encodes. One packet per
 * page; granule positions count 48 kHz samples including the pre-skip.
 */
import { spawn } from 'node:child_process';

/** CRC-32 of Ogg (RFC 3533 §6: polynomial 0x04c11db7, no reflection, initial 0). */
const CRC_TABLE = Array.from({ length: 256 }, (_, i) => {
  let r = i << 24;
  for (let j = 0; j < 8; j++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});
function crc32(b: Buffer): number {
  let c = 0;
  for (const byte of b) c = ((c << 8) ^ CRC_TABLE[((c >>> 24) ^ byte) & 0xff]!) >>> 0;
  return c;
}

function page(packet: Buffer, seq: number, granule: bigint, flags: number, serial = 0x50b0b0): Buffer {
  const lacing: number[] = [];
  let left = packet.length;
  while (left >= 255) {
    lacing.push(255);
    left -= 255;
  }
  lacing.push(left);
  const h = Buffer.alloc(27 + lacing.length);
  h.write('OggS', 0, 'latin1');
  h[5] = flags;
  h.writeBigInt64LE(granule, 6);
  h.writeUInt32LE(serial, 14);
  h.writeUInt32LE(seq, 18);
  h[26] = lacing.length;
  lacing.forEach((v, i) => (h[27 + i] = v));
  const p = Buffer.concat([h, packet]);
  p.writeUInt32LE(crc32(p), 22);
  return p;
}

/** An Ogg Opus file (mono, 48 kHz, the given pre-skip) holding the packets in order. */
export function oggOpus(packets: readonly Buffer[], preSkip = 312): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1; // version
  head[9] = 1; // channels
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(48_000, 12);
  const vendor = Buffer.from('sonobox test', 'latin1');
  const tags = Buffer.concat([Buffer.from('OpusTags', 'latin1'), Buffer.alloc(4), vendor, Buffer.alloc(4)]);
  tags.writeUInt32LE(vendor.length, 8);
  const pages = [page(head, 0, 0n, 0x02), page(tags, 1, 0n, 0)];
  let granule = 0n;
  packets.forEach((p, i) => {
    granule += 960n;
    pages.push(page(p, i + 2, granule, i === packets.length - 1 ? 0x04 : 0));
  });
  return Buffer.concat(pages);
}

/**
 * Decodes packets with ffmpeg (Ogg Opus on stdin) to 48 kHz mono S16LE samples. With
 * preSkip 0 the output is the decoder's raw output, sample for sample what a WebRTC
 * receiver plays from the packets' RTP timestamps (RTP has no pre-skip).
 */
export async function decodeWithFfmpeg(packets: readonly Buffer[], preSkip = 312): Promise<Int16Array> {
  const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'ogg', '-i', 'pipe:0', '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  ff.stdout.on('data', (c: Buffer) => out.push(c));
  ff.stderr.on('data', (c: Buffer) => (err += c.toString()));
  ff.stdin.end(oggOpus(packets, preSkip));
  const code = await new Promise<number | null>((r) => ff.on('close', r));
  if (code !== 0) throw new Error(`ffmpeg could not decode the Ogg Opus stream (status ${code}): ${err.trim()}`);
  const pcm = Buffer.concat(out);
  return new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length >> 1);
}
