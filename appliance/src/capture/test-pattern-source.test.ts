import { afterEach, describe, expect, it } from 'vitest';
import type { RawFrame } from '../media/raw-frame.js';
import type { SourceCondition } from '../media/source-condition.js';
import { TestPatternSource } from './test-pattern-source.js';

const sources: TestPatternSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

function run(opts: { width: number; height: number; fps: number }, onFrame?: (f: RawFrame) => void) {
  const frames: Array<RawFrame & { arrivedAt: number }> = [];
  const conditions: SourceCondition[] = [];
  const src = new TestPatternSource(opts);
  sources.push(src);
  src.start({
    onFrame: (f) => {
      frames.push({ ...f, arrivedAt: performance.now() });
      onFrame?.(f);
    },
    onCondition: (c) => conditions.push(c),
  });
  return { src, frames, conditions };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('TestPatternSource', () => {
  it('describes itself and defaults to 1280x720@30', () => {
    const s = new TestPatternSource();
    expect(s.kind).toBe('test-pattern');
    expect(s.description).toBe('test pattern 1280x720@30');
  });

  it('produces ~fps frames per second, seq consecutive from 0, live once', async () => {
    const { src, frames, conditions } = run({ width: 320, height: 240, fps: 30 });
    await sleep(1000);
    await src.stop();
    const n = frames.length;
    expect(n).toBeGreaterThanOrEqual(27);
    expect(n).toBeLessThanOrEqual(32);
    expect(frames.map((f) => f.seq)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(conditions).toEqual(['live']);
    expect(frames.every((f) => f.width === 320 && f.height === 240 && f.data.length === 320 * 240 * 1.5)).toBe(true);
    // No drift: the last frame is where the absolute schedule says it should be.
    const span = frames[n - 1]!.captureTimeMs - frames[0]!.captureTimeMs;
    expect(Math.abs(span - (n - 1 + src.skippedTicks) * (1000 / 30))).toBeLessThan(25);
  });

  it('skips missed ticks after a stall instead of bursting', async () => {
    const { src, frames } = run({ width: 320, height: 240, fps: 30 }, (f) => {
      if (f.seq === 3) {
        const until = performance.now() + 250; // block the event loop
        while (performance.now() < until);
      }
    });
    await sleep(600);
    await src.stop();
    const stallEnd = frames[3]!.arrivedAt + 250;
    const within = (ms: number): number => frames.filter((f) => f.arrivedAt >= stallEnd - 1 && f.arrivedAt < stallEnd + ms).length;
    // A catch-up burst would deliver the ~7 missed frames at once.
    expect(within(5)).toBeLessThanOrEqual(1);
    expect(within(100)).toBeLessThanOrEqual(4);
    expect(src.skippedTicks).toBeGreaterThanOrEqual(5);
  });

  it('stops producing after stop(), and stop is idempotent', async () => {
    const { src, frames } = run({ width: 320, height: 240, fps: 60 });
    await sleep(100);
    await src.stop();
    const n = frames.length;
    await sleep(100);
    expect(frames.length).toBe(n);
    await expect(src.stop()).resolves.toBeUndefined();
  });

  it('rejects odd sizes with a clear error', () => {
    expect(() => new TestPatternSource({ width: 641, height: 480, fps: 30 })).toThrow(/even/);
  });
});
