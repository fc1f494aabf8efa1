import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from './file-source.js';
import type { SourceCondition } from '../media/source-condition.js';
import type { RawFrame } from '../media/raw-frame.js';

let dir = '';
let clip = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sonobox-file-source-'));
  clip = join(dir, 'clip.mp4');
  // 1 s, 30 frames of ffmpeg's test source: a short clip to loop.
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=30:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', clip]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sources: FileSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

function run(path: string) {
  const frames: RawFrame[] = [];
  const conditions: Array<[SourceCondition, string | undefined]> = [];
  const src = new FileSource({ path, width: 160, height: 120, fps: 30, backoff: { initialMs: 100, maxMs: 400, healthyResetMs: 10_000 } });
  sources.push(src);
  src.start({ onFrame: (f) => frames.push(f), onCondition: (c, d) => conditions.push([c, d]) });
  return { src, frames, conditions };
}

async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('FileSource (ffmpeg -stream_loop)', () => {
  it('loops a 30-frame clip at ~30 fps in exact 160x120 I420 frames', async () => {
    const { frames, conditions } = run(clip);
    await until(() => frames.length >= 70, '70 frames');
    expect(conditions[0]).toEqual(['live', undefined]);
    expect(frames.every((f) => f.width === 160 && f.height === 120 && f.data.length === 160 * 120 * 1.5)).toBe(true);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    // Looping: the picture of frame 5 comes round again about 30 frames later.
    const again = frames.slice(25, 45).findIndex((f) => f.data.equals(frames[5]!.data));
    expect(again).toBeGreaterThanOrEqual(0);
    // Paced in real time (-re), not as fast as ffmpeg can decode.
    const span = frames[69]!.captureTimeMs - frames[10]!.captureTimeMs;
    expect(span).toBeGreaterThan(59 * 33.3 * 0.8);
  });

  it('restarts ffmpeg after it is killed, and goes live again', async () => {
    const { src, frames, conditions } = run(clip);
    await until(() => frames.length >= 5, 'first frames');
    process.kill(src.ffmpegPid!, 'SIGKILL');
    await until(() => conditions.length >= 3, 'error then live');
    expect(conditions.map(([c]) => c)).toEqual(['live', 'error', 'live']);
    expect(conditions[1]![1]).toMatch(/ffmpeg stopped: killed by SIGKILL; retrying in 100 ms/);
    const n = frames.length;
    await until(() => frames.length >= n + 5, 'frames after restart');
  });

  it('throws a clear error for a missing file', () => {
    expect(() => new FileSource({ path: join(dir, 'nope.mp4'), width: 160, height: 120, fps: 30 })).toThrow(/video file not found: .*nope\.mp4/);
  });

  it('reports a file that cannot be decoded as an error condition', async () => {
    const bad = join(dir, 'not-a-video.mp4');
    writeFileSync(bad, 'this is not a video');
    const { frames, conditions } = run(bad);
    await until(() => conditions.length >= 1, 'an error condition');
    expect(conditions[0]![0]).toBe('error');
    expect(conditions[0]![1]).toMatch(/^cannot decode video file .*not-a-video\.mp4: /);
    expect(frames).toHaveLength(0);
  });
});
