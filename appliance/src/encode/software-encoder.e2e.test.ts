import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { nalType } from '../h264/annex-b.js';
import { i420Size, type RawFrame } from '../media/raw-frame.js';
import { readStampFromRgba, writeStamp } from '../capture/frame-stamp.js';
import { prepareTestPattern, renderTestPattern } from '../capture/test-pattern.js';
import type { AccessUnit } from '../media/access-unit.js';
import type { EncoderSettings, EncoderState } from '../media/encoder-settings.js';
import { readSpsProfile } from '../h264/annex-b.js';
import { SoftwareEncoder, type SoftwareEncoderOptions } from './software-encoder.js';
import { streamProfileLevelId } from './v4l2-m2m-encoder-controls.js';

const settings: EncoderSettings = { width: 1280, height: 720, fps: 30, bitrateBps: 4_000_000, keyframeInterval: 60 };
const T0 = 1_732_000_000_000.25;

/** A stamped grey frame with a moving bright box, chroma neutral. */
function frame(seq: number, width = 1280, height = 720): RawFrame {
  const data = Buffer.alloc(i420Size(width, height), 128);
  data.fill(60, 0, width * height);
  for (let row = 100; row < 300; row++) data.fill(200, row * width + ((seq * 37) % (width - 200)), row * width + ((seq * 37) % (width - 200)) + 200);
  const captureTimeMs = T0 + seq * 33.3;
  writeStamp(data, width, height, { seq, timeMs: captureTimeMs });
  return { width, height, data, seq, captureTimeMs };
}


/** slice_type of a coded slice (ITU-T H.264 §7.3.3): two ue(v) after the NAL header. */
function sliceType(nal: Buffer): number {
  let bit = 8;
  const read = (): number => (nal[bit >> 3]! >> (7 - (bit++ & 7))) & 1;
  const ue = (): number => {
    let zeros = 0;
    while (read() === 0) zeros++;
    let v = 1;
    for (let i = 0; i < zeros; i++) v = v * 2 + read();
    return v - 1;
  };
  ue(); // first_mb_in_slice
  return ue() % 5;
}

interface Harness {
  enc: SoftwareEncoder;
  aus: AccessUnit[];
  states: EncoderState[];
  /** Encodes one frame and waits for its access unit. */
  push(f: RawFrame): Promise<AccessUnit>;
  waitFor(pred: () => boolean, what: string, ms?: number): Promise<void>;
}

const running: SoftwareEncoder[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

function harness(opts: Partial<SoftwareEncoderOptions> = {}): Harness {
  const aus: AccessUnit[] = [];
  const states: EncoderState[] = [];
  const enc = new SoftwareEncoder({ settings, ...opts });
  running.push(enc);
  enc.start({ onAccessUnit: (au) => aus.push(au), onState: (s) => states.push(s) });
  const waitFor = async (pred: () => boolean, what: string, ms = 10_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return {
    enc, aus, states, waitFor,
    async push(f) {
      const before = aus.length;
      enc.encode(f);
      await waitFor(() => aus.length > before, `access unit for frame ${f.seq}`);
      return aus[aus.length - 1]!;
    },
  };
}

/** Decodes Annex-B H.264 with Debian's ffmpeg into RGBA frames. */
async function decodeToRgba(aus: readonly AccessUnit[], width: number, height: number): Promise<Uint8Array[]> {
  const annexB = Buffer.concat(aus.flatMap((au) => au.nalus.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n])));
  const ff = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'h264', '-i', '-', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  ff.stdout.on('data', (c: Buffer) => out.push(c));
  ff.stderr.on('data', (c: Buffer) => (err += c.toString()));
  ff.stdin.end(annexB);
  const code = await new Promise<number | null>((r) => ff.on('close', r));
  if (code !== 0) throw new Error(`ffmpeg failed: ${err}`);
  const all = Buffer.concat(out);
  const size = width * height * 4;
  const frames: Uint8Array[] = [];
  for (let at = 0; at + size <= all.length; at += size) frames.push(all.subarray(at, at + size));
  return frames;
}

describe('SoftwareEncoder (x264-pipe)', () => {
  it('gives one access unit per frame, in order, seq and captureTimeMs carried', async () => {
    const h = harness();
    for (let seq = 0; seq < 10; seq++) {
      const au = await h.push(frame(seq));
      expect(au.seq).toBe(seq);
      expect(au.captureTimeMs).toBe(T0 + seq * 33.3);
    }
    expect(h.aus.map((a) => a.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(h.aus.map((a) => a.keyframe)).toEqual([true, false, false, false, false, false, false, false, false, false]);
    expect(h.states).toEqual(['running']);
    expect(h.enc.stats).toMatchObject({ framesIn: 10, accessUnits: 10, framesDropped: 0 });
  });

  it('keyframes hold SPS + PPS + IDR; SPS is Constrained Baseline; no B slices', async () => {
    const h = harness();
    for (let seq = 0; seq < 8; seq++) await h.push(frame(seq));
    const first = h.aus[0]!;
    expect(first.nalus.map(nalType).filter((t) => t !== 6)).toEqual([7, 8, 5, 5]); // 2 slices: 2 threads
    const sps = first.nalus.find((n) => nalType(n) === 7)!;
    expect(sps[1]).toBe(66); // profile_idc Baseline
    expect(sps[2]! & 0x40).toBe(0x40); // constraint_set1_flag → Constrained Baseline
    const slices = h.aus.flatMap((a) => a.nalus).filter((n) => nalType(n) === 1 || nalType(n) === 5);
    expect(slices.length).toBeGreaterThanOrEqual(8);
    expect(slices.map(sliceType).filter((t) => t === 1)).toEqual([]);
    for (const au of h.aus.slice(1)) expect(au.nalus.map(nalType)).not.toContain(5);
  });

  // Safari stays black when the SPS does not match the signalled profile-level-id: the SPS
  // x264 really emits must be Constrained Baseline at no more than the level the answer
  // signals (streamProfileLevelId), and exactly it for the box's default 720p30.
  it.each([
    ['1280x720@30 (default)', { width: 1280, height: 720, fps: 30, bitrateBps: 4_000_000 }, 'equal'],
    ['640x480@30', { width: 640, height: 480, fps: 30, bitrateBps: 2_000_000 }, 'at most'],
    ['1920x1080@30', { width: 1920, height: 1080, fps: 30, bitrateBps: 8_000_000 }, 'equal'],
  ] as const)('the SPS of %s is %s the signalled profile-level-id', async (_name, size, relation) => {
    const h = harness({ settings: { ...size, keyframeInterval: 60 } });
    const au = await h.push(frame(0, size.width, size.height));
    const sps = readSpsProfile(au.nalus.find((n) => nalType(n) === 7)!);
    const signalled = streamProfileLevelId(size);
    expect(sps.constrainedBaseline).toBe(true);
    expect(sps.profileIdc).toBe(parseInt(signalled.slice(0, 2), 16));
    const level = parseInt(signalled.slice(4), 16);
    if (relation === 'equal') expect(sps.levelIdc).toBe(level);
    else expect(sps.levelIdc).toBeLessThanOrEqual(level);
  });

  it('makes the very next frame an IDR after requestKeyframe()', async () => {
    const h = harness();
    for (let seq = 0; seq < 4; seq++) await h.push(frame(seq));
    h.enc.requestKeyframe();
    const au = await h.push(frame(4));
    expect(au.keyframe).toBe(true);
    expect(au.nalus.map(nalType)).toEqual(expect.arrayContaining([7, 8, 5]));
    expect(au.nalus.map(nalType).indexOf(7)).toBeLessThan(au.nalus.map(nalType).indexOf(5));
    expect((await h.push(frame(5))).keyframe).toBe(false);
  });

  it('drops and counts frames while the helper is busy, never queues', async () => {
    const h = harness({ maxFramesInFlight: 1 });
    for (let seq = 0; seq < 5; seq++) h.enc.encode(frame(seq));
    await h.waitFor(() => h.aus.length === 1, 'first access unit');
    await new Promise((r) => setTimeout(r, 200));
    expect(h.aus.map((a) => a.seq)).toEqual([0]);
    expect(h.enc.stats).toMatchObject({ framesIn: 5, accessUnits: 1, framesDropped: 4 });
  });

  it('test-pattern stamps survive x264 at 4 Mbit/s and an ffmpeg decode exactly (and timing)', async () => {
    const h = harness();
    const layout = prepareTestPattern(1280, 720, 30);
    const encodeMs: number[] = [];
    for (let seq = 0; seq < 10; seq++) {
      const captureTimeMs = T0 + seq * 33.3;
      const start = performance.now();
      await h.push({ width: 1280, height: 720, seq, captureTimeMs, data: renderTestPattern(layout, seq, captureTimeMs) });
      encodeMs.push(performance.now() - start);
    }
    const sorted = encodeMs.slice(1).sort((a, b) => a - b);
    console.log(`x264 superfast 720p, frame in → AU out: median ${sorted[4]!.toFixed(1)} ms, max ${sorted[8]!.toFixed(1)} ms (IDR ${encodeMs[0]!.toFixed(1)} ms)`);
    const decoded = await decodeToRgba(h.aus, 1280, 720);
    expect(decoded).toHaveLength(10);
    expect(decoded.map((rgba) => readStampFromRgba(rgba, 1280, 720))).toEqual(
      Array.from({ length: 10 }, (_, seq) => ({ seq, timeMs: Math.floor(T0 + seq * 33.3) })),
    );
  });

  it('restarts after kill -9: restarting → running, and the first unit after is an IDR', async () => {
    const h = harness({ backoff: { initialMs: 100, maxMs: 1000, healthyResetMs: 10_000 } });
    for (let seq = 0; seq < 3; seq++) await h.push(frame(seq));
    const pid = h.enc.helperPid!;
    process.kill(pid, 'SIGKILL');
    await h.waitFor(() => h.states.length >= 3, 'restarting then running');
    expect(h.states).toEqual(['running', 'restarting', 'running']);
    expect(h.enc.helperPid).not.toBe(pid);
    const au = await h.push(frame(3));
    expect(au.keyframe).toBe(true);
    expect(au.nalus.map(nalType)).toEqual(expect.arrayContaining([7, 8, 5]));
    expect(h.enc.stats.restarts).toBe(1);
  });

  it('restarts the helper for a new picture size, starting with an IDR of that size', async () => {
    const h = harness();
    await h.push(frame(0));
    const au = await h.push(frame(1, 640, 360));
    expect(au.keyframe).toBe(true);
    const decoded = await decodeToRgba([au], 640, 360);
    expect(readStampFromRgba(decoded[0]!, 640, 360)).toEqual({ seq: 1, timeMs: Math.floor(T0 + 33.3) });
    expect(h.states).toEqual(['running']);
  });

  it('says how to build the helper when it is missing', () => {
    const enc = new SoftwareEncoder({ settings, helperPath: '/nonexistent/x264-pipe' });
    expect(() => enc.start({ onAccessUnit: () => {}, onState: () => {} })).toThrow(/npm run build:native.*libx264-dev/);
  });

  it('stop() ends the helper and reports stopped', async () => {
    const h = harness();
    await h.push(frame(0));
    const pid = h.enc.helperPid!;
    await h.enc.stop();
    expect(h.states).toEqual(['running', 'stopped']);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
