import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FfmpegMjpegDecoder, type DecodedFrame } from './ffmpeg-mjpeg-decoder.js';
import { i420Size } from '../media/raw-frame.js';

// Real JPEGs as a 4:2:2 MJPEG dongle sends them, made by ffmpeg from solid colours.
function jpeg(color: string, w: number, h: number): Buffer {
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=${color}:s=${w}x${h}:d=1`, '-frames:v', '1', '-pix_fmt', 'yuvj422p', '-f', 'mjpeg', 'pipe:1']);
}
const mean = (b: Buffer): number => b.reduce((s, v) => s + v, 0) / b.length;

describe('FfmpegMjpegDecoder (ffmpeg child)', () => {
  it('decodes JPEGs to I420 of the negotiated size, in order, keeping each tag', async () => {
    const w = 320;
    const h = 240;
    const out: DecodedFrame[] = [];
    const exits: string[] = [];
    const dec = new FfmpegMjpegDecoder(w, h, (f) => out.push(f), (r) => exits.push(r));
    const cases = [
      { color: 'white', tag: 1000.5, luma: [230, 256] },
      { color: 'black', tag: 1033.8, luma: [0, 20] },
      { color: 'gray', tag: 1067.1, luma: [100, 140] },
    ];
    for (const c of cases) expect(dec.decode(jpeg(c.color, w, h), c.tag)).toBe(true);
    // ffmpeg's mjpeg demuxer holds at least the newest frame until more input comes; the
    // rest come out when the input ends.
    await dec.stop();
    expect(out.map((f) => f.tag)).toEqual(cases.map((c) => c.tag));
    out.forEach((f, i) => {
      expect(f.data.length).toBe(i420Size(w, h));
      const y = mean(f.data.subarray(0, w * h));
      expect(y).toBeGreaterThanOrEqual(cases[i]!.luma[0]!);
      expect(y).toBeLessThanOrEqual(cases[i]!.luma[1]!);
    });
    expect(exits).toEqual([]);
  });

  it('reports a missing ffmpeg through onExit, saying what to install', async () => {
    const exits: string[] = [];
    const dec = new FfmpegMjpegDecoder(64, 64, () => {}, (r) => exits.push(r), '/nonexistent/ffmpeg');
    const t0 = Date.now();
    while (exits.length === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    expect(exits[0]).toMatch(/install ffmpeg/);
    expect(dec.decode(Buffer.from([0xff, 0xd8]), 0)).toBe(false);
    await dec.stop();
  });
});
