/**
 * Zero copy from capture to encoder through the real VideoPipeline: vivid → V4l2Source
 * (VIDIOC_EXPBUF) → V4l2M2mEncoder importing the fds on its OUTPUT queue (DMABUF) → units.
 * Emulated: vicodec's FWHT encoder stands in for the board's H.264 one (same M2M flow).
 * On a board without vivid/vicodec every case reports "skipped: no device".
 *
 * Checks: frames flow by fd; masks are painted on the capture mapping before the fd reaches
 * the encoder (the unit equals an MMAP encode of the masked picture byte for byte, and
 * differs from the unmasked one); every loaned buffer comes back (300 frames, no fd leak);
 * the copy path is taken when the encoder does not take the capture's format, and when a
 * masking filter has no in-place hook.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../appliance/src/system/test/memory-logger.js';
import { captureClockMs } from '../appliance/src/media/raw-frame.js';
import type { RawFrame } from '../appliance/src/media/raw-frame.js';
import { isDmabufFrame } from '../appliance/src/media/dmabuf-frame.js';
import { renderSlate } from '../appliance/src/capture/slate.js';
import { V4l2Source } from '../appliance/src/capture/v4l2-source.js';
import type { AccessUnit } from '../appliance/src/media/access-unit.js';
import type { EncoderSettings } from '../appliance/src/media/encoder-settings.js';
import { V4l2M2mEncoder } from '../appliance/src/encode/v4l2-m2m-encoder.js';
import { VideoPipeline, type FrameFilter, type MappedFrameFilter } from '../appliance/src/pipeline/video-pipeline.js';
import { PixFmt } from '../appliance/src/v4l2/v4l2-fourcc.js';
import { vividNode, waitFor } from './hw-vivid.js';

const W = 640;
const H = 480;
const settings: EncoderSettings = { width: W, height: H, fps: 30, bitrateBps: 1_000_000, keyframeInterval: 1000 };

function vicodecEncoder(): string | undefined {
  try {
    for (const e of readdirSync('/sys/class/video4linux')) {
      if (readFileSync(`/sys/class/video4linux/${e}/name`, 'latin1').trim() === 'stateful-encoder') return `/dev/${e}`;
    }
  } catch {
    /* no V4L2 at all */
  }
  return undefined;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

interface Rig {
  source: V4l2Source;
  encoder: V4l2M2mEncoder;
  pipeline: VideoPipeline;
  units: AccessUnit[];
  logs: () => string[];
}

function rig(vivid: string, enc: string, opts: { rawFormat?: number; filter?: FrameFilter; mappedFilter?: MappedFrameFilter }): Rig {
  const { logger, messages: logs } = memoryLogger();
  const units: AccessUnit[] = [];
  // vivid input 0 (webcam) at YU12: the capture bytes are tightly packed I420, so the copy
  // path's I420 and the capture buffer are the same bytes.
  const source = new V4l2Source({ device: vivid, width: W, height: H, fps: 30, input: 0, pixelFormats: ['YU12'], logger: logger.child({ c: 'capture' }) });
  const encoder = new V4l2M2mEncoder({ device: enc, codec: 'fwht', settings, logger: logger.child({ c: 'encoder' }), ...(opts.rawFormat ? { rawFormat: opts.rawFormat } : {}) });
  const pipeline = new VideoPipeline({
    source,
    encoder,
    width: W,
    height: H,
    makeSlate: (condition, width, height, seq, timeMs) => ({ width, height, seq, captureTimeMs: timeMs, data: renderSlate(width, height, condition, { seq, timeMs }) }),
    publish: (au) => void units.push(au),
    logger: logger.child({ c: 'pipeline' }),
    ...(opts.filter ? { filter: opts.filter } : {}),
    ...(opts.mappedFilter ? { mappedFilter: opts.mappedFilter } : {}),
  });
  return { source, encoder, pipeline, units, logs };
}

/** Encodes one I420 picture through the MMAP copy path on a fresh encoder: its only unit. */
async function encodeByCopy(device: string, data: Buffer): Promise<AccessUnit> {
  const units: AccessUnit[] = [];
  const enc = new V4l2M2mEncoder({ device, codec: 'fwht', settings });
  enc.start({ onAccessUnit: (au) => void units.push(au), onState: () => {} });
  enc.encode({ width: W, height: H, data, seq: 0, captureTimeMs: captureClockMs() });
  await waitFor('the copy-path unit', 10_000, () => units.length === 1);
  await enc.stop();
  return units[0]!;
}

const vivid = vividNode();
const encoderNode = vicodecEncoder();
const skip = !vivid ? 'skipped: no device (vivid is not loaded; run under hw-tests/emulated/run.sh)' : !encoderNode ? 'skipped: no device (no vicodec stateful-encoder node)' : undefined;
if (skip) console.warn(`[hw-tests] zero-copy: ${skip}`);

describe(skip ? `zero copy vivid → vicodec — ${skip}` : 'zero copy vivid → vicodec through VideoPipeline', () => {
  it('300 frames by DMABUF, masked in place, first I-frame byte-identical to the copy path, every buffer returned, no fd leak', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const fdsBefore = openFds();
    let first: { seq: number; captureTimeMs: number; unmasked: Buffer; masked: Buffer } | undefined;
    let hookCalls = 0;
    // A stand-in for the masking engineer's hook: blacks out the top 64 rows of luma (I420).
    const mappedFilter: MappedFrameFilter = (planes, format, frame) => {
      if (format.fourcc !== 'YU12') return false; // fail closed on layouts it does not know
      hookCalls++;
      const y = planes[0]!;
      const unmasked = first ? undefined : Buffer.from(y);
      y.fill(16, 0, format.bytesperline * 64);
      if (!first) first = { seq: frame.seq, captureTimeMs: frame.captureTimeMs, unmasked: unmasked!, masked: Buffer.from(y) };
      return true;
    };
    const r = rig(vivid!, encoderNode!, { mappedFilter });
    const t0 = performance.now();
    r.pipeline.start();
    try {
      await waitFor('300 frames loaned to the encoder', 90_000, () => r.source.zeroCopyStats.loaned >= 300);
    } finally {
      await r.pipeline.stop();
    }
    const secs = (performance.now() - t0) / 1000;
    const zc = r.source.zeroCopyStats;
    const st = r.encoder.stats;
    const live = r.units.filter((u) => u.captureTimeMs >= first!.captureTimeMs);
    console.log(`[hw] zero copy: ${zc.loaned} frames loaned in ${secs.toFixed(1)} s (${(zc.loaned / secs).toFixed(1)} fps), ${st.framesIn} queued to the encoder by fd or copy, ${st.framesDropped} dropped (OUTPUT queue full), ${live.length} live units; encode median ${median(st.encodeMs).toFixed(1)} ms`);

    expect(r.logs().some((l) => /imports YU12 640x480 capture buffers by DMABUF/.test(l))).toBe(true);
    expect(zc.copied).toBe(0);
    expect(zc.released).toBe(zc.loaned); // every buffer came back
    expect(hookCalls).toBeGreaterThan(0);
    expect(live.length).toBeGreaterThan(30);
    expect(st.unmatched).toBe(0);
    expect(st.lastDrain).toBe('last-flag');
    expect(openFds()).toBe(fdsBefore); // exported fds closed, encoder and capture closed

    // The first live unit came from the capture buffer by fd, after the mask was painted.
    const unit = r.units.find((u) => u.captureTimeMs === first!.captureTimeMs && u.seq === first!.seq);
    expect(unit, 'a unit for the first loaned frame').toBeDefined();
    expect(unit!.keyframe).toBe(true); // the switch from the slate's MMAP session to DMABUF starts a new stream
    const i420 = W * H * 1.5; // YU12 at bytesperline 640 is tightly packed I420
    const masked = first!.masked.subarray(0, i420);
    const unmasked = first!.unmasked.subarray(0, i420);
    const byCopy = await encodeByCopy(encoderNode!, masked);
    expect(unit!.nalus[0]!.equals(byCopy.nalus[0]!)).toBe(true);
    const unmaskedByCopy = await encodeByCopy(encoderNode!, unmasked);
    expect(unit!.nalus[0]!.equals(unmaskedByCopy.nalus[0]!)).toBe(false); // the mask reached the encoder
  });

  it('copy path when the encoder does not take the capture format (encoder pinned to NV12, capture YU12)', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const r = rig(vivid!, encoderNode!, { rawFormat: PixFmt.nv12 });
    r.pipeline.start();
    try {
      await waitFor('20 live units', 60_000, () => r.source.zeroCopyStats.copied >= 20 && r.units.length >= 20);
    } finally {
      await r.pipeline.stop();
    }
    expect(r.source.zeroCopyStats.loaned).toBe(0);
    expect(r.logs().some((l) => /copies YU12 640x480 capture frames \(no DMABUF import: the encoder is configured for NV12\)/.test(l))).toBe(true);
    expect(r.encoder.stats.unmatched).toBe(0);
  });

  it('copy path while a masking filter has no in-place hook: every live frame goes through the filter', async (ctx) => {
    if (skip) return ctx.skip(skip);
    const seen: RawFrame[] = [];
    const r = rig(vivid!, encoderNode!, { filter: (f) => (seen.push(f), true) });
    r.pipeline.start();
    try {
      await waitFor('20 filtered frames', 60_000, () => seen.length >= 20);
    } finally {
      await r.pipeline.stop();
    }
    expect(r.source.zeroCopyStats.loaned).toBe(0);
    expect(r.source.zeroCopyStats.copied).toBeGreaterThanOrEqual(20);
    expect(seen.every((f) => !isDmabufFrame(f) && f.data.length === W * H * 1.5)).toBe(true);
    expect(r.logs().filter((l) => l.startsWith('PHI masking has no in-place hook'))).toHaveLength(1);
  });
});

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
}
