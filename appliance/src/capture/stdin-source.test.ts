import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { SourceCondition } from '../media/source-condition.js';
import type { RawFrame } from '../media/raw-frame.js';
import { StdinSource } from './stdin-source.js';

const W = 8, H = 4, SIZE = 48;

function setup() {
  const input = new PassThrough();
  const frames: RawFrame[] = [];
  const conditions: Array<[SourceCondition, string | undefined]> = [];
  const src = new StdinSource({ width: W, height: H, fps: 30 }, input);
  src.start({ onFrame: (f) => frames.push(f), onCondition: (c, d) => conditions.push([c, d]) });
  return { input, frames, conditions, src };
}
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('StdinSource', () => {
  it('splits frames across chunk boundaries, seq from 0, arrival-time stamps', async () => {
    const { input, frames, conditions, src } = setup();
    const bytes = Buffer.from(Array.from({ length: 3 * SIZE }, (_, i) => i & 255));
    const before = performance.timeOrigin + performance.now();
    for (const [a, b] of [[0, 1], [1, 50], [50, 96], [96, 144]] as const) {
      input.write(bytes.subarray(a, b));
      await tick();
    }
    const after = performance.timeOrigin + performance.now();
    expect(frames.map((f) => [f.seq, f.width, f.height, f.data.length])).toEqual([[0, W, H, SIZE], [1, W, H, SIZE], [2, W, H, SIZE]]);
    expect(Buffer.concat(frames.map((f) => f.data)).equals(bytes)).toBe(true);
    expect(frames.every((f) => f.captureTimeMs >= before && f.captureTimeMs <= after)).toBe(true);
    expect(conditions).toEqual([['live', undefined]]);
    expect(src.kind).toBe('stdin');
    await src.stop();
  });

  it('reports no-signal at end of input, naming a dropped partial frame', async () => {
    const { input, conditions } = setup();
    input.write(Buffer.alloc(SIZE + 5));
    input.end();
    await tick();
    await tick();
    expect(conditions).toEqual([['live', undefined], ['no-signal', 'standard input ended (5 bytes of an incomplete frame dropped)']]);
  });

  it('stops listening after stop()', async () => {
    const { input, frames, src } = setup();
    await src.stop();
    input.write(Buffer.alloc(SIZE));
    await tick();
    expect(frames).toHaveLength(0);
  });

  it('rejects odd sizes', () => {
    expect(() => new StdinSource({ width: 7, height: 4, fps: 30 }, new PassThrough())).toThrow(/even size/);
  });
});
