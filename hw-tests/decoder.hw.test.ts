/**
 * The stateful M2M decoder (appliance/src/decode/v4l2-m2m-decoder.ts) against a real
 * kernel decoder. Emulated: vicodec's FWHT stateful decoder — the same flow (OUTPUT coded →
 * V4L2_EVENT_SOURCE_CHANGE → CAPTURE setup → DQBUF → DEC_CMD_STOP / LAST) the Pi 4's
 * bcm2835-codec-decode runs for MJPEG. Round trip: vivid frames → V4l2Source (I420) →
 * vicodec encoder (FWHT) → vicodec decoder through our class → pictures that resemble the
 * input. MJPEG itself on bcm2835-codec cannot be exercised here (no such device, vivid has
 * no MJPEG): on a Pi 4 the last case runs it with JPEGs made by ffmpeg, if ffmpeg exists.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../appliance/src/system/test/memory-logger.js';
import { silentLogger } from '../appliance/src/system/logger.js';
import type { RawFrame } from '../appliance/src/media/raw-frame.js';
import { V4l2Source } from '../appliance/src/capture/v4l2-source.js';
import { V4l2M2mDecoder } from '../appliance/src/decode/v4l2-m2m-decoder.js';
import { probeBoard } from '../appliance/src/encode/board-probe.js';
import type { AccessUnit } from '../appliance/src/media/access-unit.js';
import type { EncoderSettings } from '../appliance/src/media/encoder-settings.js';
import { V4l2M2mEncoder } from '../appliance/src/encode/v4l2-m2m-encoder.js';
import { vividNode, waitFor } from './hw-vivid.js';
import { nodeNamed } from '../appliance/src/v4l2/v4l2-discovery.js';


const meanLuma = (f: { data: Buffer; width: number; height: number }): number => {
  let s = 0;
  for (let i = 0; i < f.width * f.height; i++) s += f.data[i]!;
  return s / (f.width * f.height);
};
/** Mean absolute luma difference per pixel. */
const lumaMad = (a: RawFrame, b: RawFrame): number => {
  let s = 0;
  const n = a.width * a.height;
  for (let i = 0; i < n; i++) s += Math.abs(a.data[i]! - b.data[i]!);
  return s / n;
};
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const vivid = vividNode();
const enc = nodeNamed('stateful-encoder');
const dec = nodeNamed('stateful-decoder');
const skip = !vivid || !enc || !dec ? `skipped: no device (needs vivid and vicodec's stateful encoder and decoder; run under hw-tests/emulated/run.sh)` : undefined;
if (skip) console.warn(`[hw-tests] decoder: ${skip}`);

/** Captures n I420 frames from vivid at w×h. */
async function captureFrames(n: number, w: number, h: number): Promise<RawFrame[]> {
  const frames: RawFrame[] = [];
  const src = new V4l2Source({ device: vivid!, width: w, height: h, fps: 30, input: 0, pixelFormats: ['YU12'], logger: silentLogger });
  src.start({ onFrame: (f) => void (frames.length < n && frames.push(f)), onCondition: () => {} });
  try {
    await waitFor(`${n} vivid frames`, 30_000, () => frames.length >= n);
  } finally {
    await src.stop();
  }
  return frames;
}

/** Encodes frames (paced: one in flight) with vicodec's encoder; FWHT units in order. */
async function encodeAll(frames: readonly RawFrame[]): Promise<AccessUnit[]> {
  const units: AccessUnit[] = [];
  const settings: EncoderSettings = { width: frames[0]!.width, height: frames[0]!.height, fps: 30, bitrateBps: 1_000_000, keyframeInterval: 10 };
  const { logger, messages } = memoryLogger();
  const e = new V4l2M2mEncoder({ device: enc!, codec: 'fwht', settings, logger });
  e.start({ onAccessUnit: (au) => void units.push(au), onState: () => {} });
  for (const [i, f] of frames.entries()) {
    e.encode(f);
    await waitFor(`unit ${i} of ${f.width}x${f.height} (encoder log: ${messages().join(' | ')})`, 10_000, () => units.length === i + 1);
  }
  await e.stop();
  return units;
}

describe(skip ? `V4L2 M2M stateful decoder — ${skip}` : 'V4L2 M2M stateful decoder (vicodec FWHT)', () => {
  it('round trip vivid → FWHT → our decoder: source change, CAPTURE setup, frames matched by timestamp, luma preserved, drain with LAST', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const frames = await captureFrames(20, 640, 480);
    const units = await encodeAll(frames);
    expect(units).toHaveLength(20);
    const out: RawFrame[] = [];
    const dlog = memoryLogger();
    const errors: string[] = [];
    const d = V4l2M2mDecoder.open({ device: dec!, codec: 'fwht', width: 640, height: 480, onFrame: (f) => void out.push(f), onError: (r) => void errors.push(r), logger: dlog.logger });
    for (const [i, u] of units.entries()) {
      expect(d.decode(u.nalus[0]!, u.captureTimeMs, u.seq)).toBe(true);
      await waitFor(`decoded frame ${i}`, 10_000, () => out.length === i + 1 || errors.length > 0);
    }
    const drain = await d.stop();
    expect(errors).toEqual([]);
    expect(drain).toBe('last-flag');
    expect(d.currentState).toBe('stopped');
    expect(d.stats).toMatchObject({ framesIn: 20, framesOut: 20, dropped: 0, sourceChanges: 1, captureFormat: 'YU12 640x480' });
    expect(out.map((f) => f.seq)).toEqual(frames.map((f) => f.seq));
    expect(out.map((f) => f.captureTimeMs)).toEqual(frames.map((f) => f.captureTimeMs));
    const lumaDiffs = out.map((f, i) => Math.abs(meanLuma(f) - meanLuma(frames[i]!)));
    const mads = out.map((f, i) => lumaMad(f, frames[i]!));
    console.log(`[hw] decoder round trip: mean-luma difference max ${Math.max(...lumaDiffs).toFixed(2)}, per-pixel |ΔY| median ${median(mads).toFixed(2)}, decode median ${median(d.stats.decodeMs).toFixed(1)} ms (vicodec FWHT 640x480${process.env.HW_EMULATED ? ', QEMU TCG' : ''})`);
    for (const f of out) expect([f.width, f.height, f.data.length]).toEqual([640, 480, 640 * 480 * 1.5]);
    expect(Math.max(...lumaDiffs)).toBeLessThan(2);
    expect(Math.max(...mads)).toBeLessThan(8); // lossy, but the same picture (a wrong plane or stride gives tens)
    expect(dlog.messages().some((l) => /stream is 640x480; decoding to YU12 640x480/.test(l))).toBe(true);
  });

  it('a resolution change mid-stream (640x480 → 1280x720): CAPTURE drained to LAST and set up again', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const big = await encodeAll(await captureFrames(4, 640, 480));
    const smallFrames = await captureFrames(4, 1280, 720);
    const small = await encodeAll(smallFrames);
    const out: RawFrame[] = [];
    const errors: string[] = [];
    const d = V4l2M2mDecoder.open({ device: dec!, codec: 'fwht', width: 640, height: 480, onFrame: (f) => void out.push(f), onError: (r) => void errors.push(r) });
    for (const [i, u] of [...big, ...small].entries()) {
      expect(d.decode(u.nalus[0]!, u.captureTimeMs, i)).toBe(true);
      await waitFor(`decoded frame ${i}`, 10_000, () => out.length === i + 1 || errors.length > 0);
    }
    expect(await d.stop()).toBe('last-flag');
    expect(errors).toEqual([]);
    expect(d.stats.sourceChanges).toBe(2);
    expect(out.map((f) => `${f.width}x${f.height}`)).toEqual([...Array(4).fill('640x480'), ...Array(4).fill('1280x720')]);
    expect(Math.abs(meanLuma(out[7]!) - meanLuma(smallFrames[3]!))).toBeLessThan(2);
  });

  it('hardware MJPEG decoder from the board probe (Pi 4 bcm2835-codec-decode)', async (ctx) => {
    const probe = await probeBoard('/');
    if (probe.mjpegDecoder?.kind !== 'v4l2-m2m' || !probe.mjpegDecoder.device) return ctx.skip(`skipped: no device (${probe.board}: ${probe.mjpegDecoder?.reason ?? 'no MJPEG decoder'})`);
    let jpeg: Buffer;
    try {
      jpeg = execFileSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=1', '-frames:v', '1', '-f', 'mjpeg', '-pix_fmt', 'yuvj420p', '-'], { maxBuffer: 1 << 24 });
    } catch {
      return ctx.skip('skipped: ffmpeg is needed to make the test JPEG');
    }
    const out: RawFrame[] = [];
    const errors: string[] = [];
    const d = V4l2M2mDecoder.open({ device: probe.mjpegDecoder.device, codec: 'mjpeg', width: 1280, height: 720, onFrame: (f) => void out.push(f), onError: (r) => void errors.push(r) });
    for (let i = 0; i < 5; i++) {
      d.decode(jpeg, i, i);
      await waitFor(`decoded JPEG ${i}`, 5000, () => out.length === i + 1 || errors.length > 0);
    }
    expect(await d.stop()).toBe('last-flag');
    expect(errors).toEqual([]);
    expect(out.map((f) => `${f.width}x${f.height}`)).toEqual(Array(5).fill('1280x720'));
    console.log(`[hw] ${d.driver} MJPEG 1280x720 decode median ${median(d.stats.decodeMs).toFixed(1)} ms`);
  });
});
