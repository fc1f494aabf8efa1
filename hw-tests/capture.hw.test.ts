/**
 * Capture against a real driver: every raw format the source converts, straight through
 * the plumbing (S_FMT, MMAP buffers, DQBUF, EXPBUF), then V4l2Source end to end.
 * Emulated: vivid's webcam input (input 0). On a board: the dongle, in whatever raw
 * formats it offers at 640x480 (or its nearest size).
 */
import { closeSync, fstatSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../appliance/src/system/test/memory-logger.js';
import { CaptureDevice } from '../appliance/src/v4l2/v4l2-capture-device.js';
import { MmapCaptureQueue } from '../appliance/src/v4l2/v4l2-buffer-queue.js';
import { RAW_PIX_FMTS, rawFrameBytes, toI420 } from '../appliance/src/capture/v4l2-pixel-convert.js';
import { i420Size, type RawFrame } from '../appliance/src/media/raw-frame.js';
import { V4l2Source } from '../appliance/src/capture/v4l2-source.js';
import type { SourceCondition } from '../appliance/src/media/source-condition.js';
import { captureUnderTest, titled } from './hw-vivid.js';

const target = captureUnderTest();
const FRAMES = 12;
const W = 640;
const H = 480;

function offeredRawFormats(path: string): string[] {
  const dev = CaptureDevice.open(path);
  try {
    if (target?.kind === 'vivid') dev.setInput(0);
    const formats = dev.enumFormats();
    return RAW_PIX_FMTS.filter((f) => formats.includes(f));
  } finally {
    dev.close();
  }
}

const lumaMeans: Record<string, number> = {};

describe.skipIf(!target)(titled('capture in every raw format', target ? undefined : 'no device (no vivid, no /dev/sonobox/capture, no UVC capture node)'), () => {
  const path = target?.path ?? '';
  const formats = target ? offeredRawFormats(path) : [];

  it('the device offers at least one raw format sonobox converts', () => {
    expect(formats.length).toBeGreaterThan(0);
  });

  it.each(formats)('%s: size, bytes, increasing sequence and monotonic timestamps; DMABUF export', async (pixfmt) => {
    const dev = CaptureDevice.open(path);
    try {
      if (target?.kind === 'vivid') dev.setInput(0);
      const fmt = dev.setFormat(pixfmt, W, H);
      expect(fmt.pixfmt).toBe(pixfmt);
      dev.setFps(30);
      expect(fmt.width % 2 + (fmt.height % 2)).toBe(0);
      const q = MmapCaptureQueue.create(dev, 4);
      try {
        q.start();
        const seqs: number[] = [];
        const stamps: number[] = [];
        const t0 = performance.now();
        let lastI420: Buffer | undefined;
        for (let i = 0; i < FRAMES; i++) {
          const b = await q.dequeue(3000);
          if (!b) throw new Error(`no frame within 3 s (frame ${i})`);
          expect(b.data.length).toBeGreaterThanOrEqual(rawFrameBytes(pixfmt as (typeof RAW_PIX_FMTS)[number], fmt.bytesperline, fmt.height));
          seqs.push(b.sequence);
          stamps.push(b.timestampUs);
          lastI420 = toI420(pixfmt as (typeof RAW_PIX_FMTS)[number], b.data, fmt.width, fmt.height, fmt.bytesperline);
          q.requeue(b.index);
        }
        const fps = ((FRAMES - 1) * 1e6) / (stamps.at(-1)! - stamps[0]!);
        console.log(`[hw] ${path} ${pixfmt} ${fmt.width}x${fmt.height}: ${fps.toFixed(1)} fps by driver timestamps, ${((performance.now() - t0) / FRAMES).toFixed(1)} ms/frame wall`);
        for (let i = 1; i < FRAMES; i++) {
          expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
          expect(stamps[i]!).toBeGreaterThan(stamps[i - 1]!);
        }
        expect(lastI420!.length).toBe(i420Size(fmt.width, fmt.height));
        const y = lastI420!.subarray(fmt.width * (fmt.height / 2), fmt.width * fmt.height); // bottom half of the luma
        lumaMeans[pixfmt] = y.reduce((s, v) => s + v, 0) / y.length;

        const dmabuf = q.exportDmabuf(0);
        try {
          expect(dmabuf).toBeGreaterThanOrEqual(0);
          expect(fstatSync(dmabuf).size === 0 || fstatSync(dmabuf).size >= rawFrameBytes(pixfmt as (typeof RAW_PIX_FMTS)[number], fmt.bytesperline, fmt.height)).toBe(true);
        } finally {
          closeSync(dmabuf);
        }
      } finally {
        q.release();
      }
    } finally {
      dev.close();
    }
  });

  it.skipIf(target?.kind !== 'vivid')('every format converts to the same picture (vivid colour bars: equal mean luma ±3)', () => {
    const values = Object.values(lumaMeans);
    expect(values.length).toBe(formats.length);
    expect(Math.max(...values) - Math.min(...values)).toBeLessThanOrEqual(3);
    expect(values[0]!).toBeGreaterThan(20); // not a black frame
  });

  it('V4l2Source delivers I420 frames numbered from 0 with rising capture times and reports live once', async () => {
    const frames: RawFrame[] = [];
    const conditions: SourceCondition[] = [];
    const { logger, messages } = memoryLogger();
    const src = new V4l2Source({ device: path, width: W, height: H, fps: 30, ...(target?.kind === 'vivid' ? { input: 0 } : {}), logger });
    src.start({ onFrame: (f) => frames.push(f), onCondition: (c) => conditions.push(c) });
    try {
      const t0 = Date.now();
      while (frames.length < FRAMES && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await src.stop();
    }
    expect(frames.length).toBeGreaterThanOrEqual(FRAMES);
    expect(conditions).toEqual(['live']);
    expect(messages().filter((l) => l.includes('driver applied'))).toHaveLength(1);
    frames.forEach((f, i) => {
      expect(f.seq).toBe(i);
      expect(f.data.length).toBe(i420Size(f.width, f.height));
      if (i > 0) expect(f.captureTimeMs).toBeGreaterThan(frames[i - 1]!.captureTimeMs);
    });
    expect(Math.abs(frames.at(-1)!.captureTimeMs - Date.now())).toBeLessThan(5000);
    console.log(`[hw] V4l2Source: ${messages().join(' | ')}`);
  });
});

afterAll(() => {
  if (Object.keys(lumaMeans).length) console.log(`[hw] mean luma per format: ${JSON.stringify(lumaMeans)}`);
});
