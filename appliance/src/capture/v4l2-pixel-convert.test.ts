import { describe, expect, it } from 'vitest';
import { rawFrameBytes, toI420, type RawPixFmt } from './v4l2-pixel-convert.js';

// A 4x2 picture. Luma 10..17 row-major; chroma per 2x2 block: block 0 U=100 V=200,
// block 1 U=110 V=210. Packed 4:2:2 formats carry chroma per row, so row 1 gets
// U+2/V+2 to check that 4:2:0 averages the two rows ((100+102+1)>>1 = 101).
const Y = [10, 11, 12, 13, 14, 15, 16, 17];
const I420_FROM_420 = Buffer.from([...Y, 100, 110, 200, 210]);
const I420_FROM_422 = Buffer.from([...Y, 101, 111, 201, 211]);
const pad = (rows: number[][], stride: number): number[] => rows.flatMap((r) => [...r, ...new Array(stride - r.length).fill(0xee)]);

const cases: { name: string; fmt: RawPixFmt; stride: number; src: number[]; want: Buffer }[] = [
  {
    name: 'YUYV: Y0 U Y1 V',
    fmt: 'YUYV',
    stride: 8,
    src: [10, 100, 11, 200, 12, 110, 13, 210, 14, 102, 15, 202, 16, 112, 17, 212],
    want: I420_FROM_422,
  },
  {
    name: 'UYVY: U Y0 V Y1',
    fmt: 'UYVY',
    stride: 8,
    src: [100, 10, 200, 11, 110, 12, 210, 13, 102, 14, 202, 15, 112, 16, 212, 17],
    want: I420_FROM_422,
  },
  {
    name: 'YUYV with row padding (stride 12)',
    fmt: 'YUYV',
    stride: 12,
    src: pad([[10, 100, 11, 200, 12, 110, 13, 210], [14, 102, 15, 202, 16, 112, 17, 212]], 12),
    want: I420_FROM_422,
  },
  { name: 'NV12: Y plane then U V pairs', fmt: 'NV12', stride: 4, src: [...Y, 100, 200, 110, 210], want: I420_FROM_420 },
  { name: 'NV21: Y plane then V U pairs', fmt: 'NV21', stride: 4, src: [...Y, 200, 100, 210, 110], want: I420_FROM_420 },
  {
    name: 'NV12 with stride 6',
    fmt: 'NV12',
    stride: 6,
    src: pad([[10, 11, 12, 13], [14, 15, 16, 17], [100, 200, 110, 210]], 6),
    want: I420_FROM_420,
  },
  { name: 'YU12 tight: a copy', fmt: 'YU12', stride: 4, src: [...Y, 100, 110, 200, 210], want: I420_FROM_420 },
  {
    name: 'YU12 with stride 8 (chroma stride 4)',
    fmt: 'YU12',
    stride: 8,
    src: [...pad([[10, 11, 12, 13], [14, 15, 16, 17]], 8), ...pad([[100, 110]], 4), ...pad([[200, 210]], 4)],
    want: I420_FROM_420,
  },
];

describe('toI420', () => {
  it.each(cases)('$name', ({ fmt, stride, src, want }) => {
    expect(toI420(fmt, Buffer.from(src), 4, 2, stride)).toEqual(want);
  });

  it('writes into a caller buffer when given one', () => {
    const out = Buffer.alloc(12, 0xff);
    const got = toI420('NV12', Buffer.from([...Y, 100, 200, 110, 210]), 4, 2, 4, out);
    expect(got).toBe(out);
    expect(out).toEqual(I420_FROM_420);
  });

  it('refuses a truncated frame and says how many bytes it needed', () => {
    expect(() => toI420('YUYV', Buffer.alloc(15), 4, 2, 8)).toThrow(/needs 16 bytes, got 15/);
  });
});

describe('rawFrameBytes', () => {
  it.each([
    ['YUYV', 2560, 720, 2560 * 720],
    ['NV12', 1280, 720, 1280 * 720 * 1.5],
    ['YU12', 1280, 720, 1280 * 720 * 1.5],
  ] as const)('%s stride %i x %i rows', (fmt, stride, h, want) => {
    expect(rawFrameBytes(fmt, stride, h)).toBe(want);
  });
});
