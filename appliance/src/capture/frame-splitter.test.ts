import { describe, expect, it } from 'vitest';
import { FrameSplitter } from './frame-splitter.js';

/** n frames of `size` bytes, frame k filled with a recognisable ramp starting at k. */
function stream(n: number, size: number): Buffer {
  const b = Buffer.alloc(n * size);
  for (let i = 0; i < b.length; i++) b[i] = (Math.floor(i / size) * 31 + i) & 255;
  return b;
}

function chunked(b: Buffer, sizes: (i: number) => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < b.length; i++) {
    const n = Math.max(1, sizes(i));
    out.push(b.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe('FrameSplitter', () => {
  const size = 24; // a 4x4 I420 picture
  const all = stream(5, size);
  const cases: Array<{ name: string; chunks: Buffer[] }> = [
    { name: 'one byte at a time', chunks: chunked(all, () => 1) },
    { name: 'exactly frame-sized chunks', chunks: chunked(all, () => size) },
    { name: 'chunks straddling frames (size + 7)', chunks: chunked(all, () => size + 7) },
    { name: 'chunks shorter than a frame (size - 5)', chunks: chunked(all, () => size - 5) },
    { name: 'everything in one chunk', chunks: [all] },
    { name: 'irregular 1, 47, 2, 23, …', chunks: chunked(all, (i) => [1, 47, 2, 23, 13][i % 5]!) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = new FrameSplitter(size);
      const frames = c.chunks.flatMap((ch, i) => s.push(ch, 1000 + i));
      expect(frames.map((f) => f.data)).toEqual([0, 1, 2, 3, 4].map((k) => all.subarray(k * size, (k + 1) * size)));
      expect(s.pendingBytes).toBe(0);
    });
  }

  it('stamps each frame with the arrival of the chunk holding its last byte', () => {
    const s = new FrameSplitter(size);
    expect(s.push(all.subarray(0, 10), 1)).toEqual([]);
    const a = s.push(all.subarray(10, 30), 2); // completes frame 0
    const b = s.push(all.subarray(30, 48), 3); // completes frame 1
    expect(a.map((f) => f.completedAtMs)).toEqual([2]);
    expect(b.map((f) => f.completedAtMs)).toEqual([3]);
  });

  it('never aliases the input chunk', () => {
    const s = new FrameSplitter(size);
    const chunk = Buffer.from(all.subarray(0, size));
    const [f] = s.push(chunk, 0);
    chunk.fill(0);
    expect(f!.data.equals(all.subarray(0, size))).toBe(true);
  });

  it('reports and drops a partial frame on reset', () => {
    const s = new FrameSplitter(size);
    s.push(all.subarray(0, 30), 0);
    expect(s.reset()).toBe(6);
    expect(s.push(all.subarray(0, size), 1)).toHaveLength(1);
  });
});
