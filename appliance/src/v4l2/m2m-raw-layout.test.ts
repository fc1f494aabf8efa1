import { describe, expect, it } from 'vitest';
import { PixFmt } from './v4l2-fourcc.js';
import { pickRawFormat, rawLayout, readI420, writeI420 } from './m2m-raw-layout.js';

/** A 4x2 I420 picture: Y = 1..8, U = 0x51 0x52, V = 0x61 0x62. */
const W = 4, H = 2;
const i420 = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 0x51, 0x52, 0x61, 0x62]);

describe('pickRawFormat', () => {
  it.each([
    ['vicodec offers YU12 among many', [PixFmt.nv12, PixFmt.yuv420], PixFmt.yuv420],
    ['Jetson offers YM12 and NM12', [PixFmt.nv12m, PixFmt.yuv420m], PixFmt.yuv420m],
    ['only NV12', [PixFmt.nv12], PixFmt.nv12],
    ['nothing usable', [0x56595559 /* YUYV */], undefined],
  ])('%s', (_n, offered, want) => expect(pickRawFormat(offered)).toBe(want));
});

describe('rawLayout + writeI420', () => {
  it('YU12 tightly packed copies straight through', () => {
    const l = rawLayout({ width: W, height: H, pixelformat: PixFmt.yuv420, planes: [{ bytesperline: 4, sizeimage: 12 }] });
    const dst = Buffer.alloc(12);
    expect(writeI420(i420, W, H, l, [dst])).toEqual([12]);
    expect(dst).toEqual(i420);
  });

  it('YU12 with padded stride (8) and rows aligned to 16 (bcm2835-codec style)', () => {
    // bytesperline 8, rows 16 → Y 128 bytes, U and V 4x8 = 32 each: sizeimage 192.
    const l = rawLayout({ width: W, height: H, pixelformat: PixFmt.yuv420, planes: [{ bytesperline: 8, sizeimage: 192 }] });
    expect(l.spans.map((s) => [s.offset, s.stride])).toEqual([[0, 8], [128, 4], [160, 4]]);
    const dst = Buffer.alloc(192);
    expect(writeI420(i420, W, H, l, [dst])).toEqual([192]);
    expect([...dst.subarray(0, 4)]).toEqual([1, 2, 3, 4]);
    expect([...dst.subarray(8, 12)]).toEqual([5, 6, 7, 8]);
    expect([...dst.subarray(128, 130)]).toEqual([0x51, 0x52]);
    expect([...dst.subarray(160, 162)]).toEqual([0x61, 0x62]);
  });

  it('slack at the end of sizeimage is not taken for rows (bounded to the next 16)', () => {
    const l = rawLayout({ width: W, height: H, pixelformat: PixFmt.yuv420, planes: [{ bytesperline: 4, sizeimage: 4096 }] });
    expect(l.spans[1]!.offset).toBe(4 * 16);
  });

  it('NV12 interleaves U and V', () => {
    const l = rawLayout({ width: W, height: H, pixelformat: PixFmt.nv12, planes: [{ bytesperline: 4, sizeimage: 12 }] });
    const dst = Buffer.alloc(12);
    writeI420(i420, W, H, l, [dst]);
    expect([...dst]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0x51, 0x61, 0x52, 0x62]);
  });

  it('YM12 puts each plane in its own buffer', () => {
    const l = rawLayout({ width: W, height: H, pixelformat: PixFmt.yuv420m, planes: [{ bytesperline: 4, sizeimage: 8 }, { bytesperline: 2, sizeimage: 2 }, { bytesperline: 2, sizeimage: 2 }] });
    const bufs = [Buffer.alloc(8), Buffer.alloc(2), Buffer.alloc(2)];
    expect(writeI420(i420, W, H, l, bufs)).toEqual([8, 2, 2]);
    expect(bufs.map((b) => [...b])).toEqual([[1, 2, 3, 4, 5, 6, 7, 8], [0x51, 0x52], [0x61, 0x62]]);
  });

  it('refuses a format it cannot fill', () => {
    expect(() => rawLayout({ width: W, height: H, pixelformat: 0x56595559, planes: [{ bytesperline: 8, sizeimage: 16 }] })).toThrow(/YUYV/);
  });
});

describe('readI420 is the inverse of writeI420 (decoder CAPTURE buffers → RawFrame bytes)', () => {
  it.each([
    ['YU12 tightly packed', { width: W, height: H, pixelformat: PixFmt.yuv420, planes: [{ bytesperline: 4, sizeimage: 12 }] }, [12]],
    ['YU12 padded stride 8, rows to 16', { width: W, height: H, pixelformat: PixFmt.yuv420, planes: [{ bytesperline: 8, sizeimage: 192 }] }, [192]],
    ['NV12 interleaved', { width: W, height: H, pixelformat: PixFmt.nv12, planes: [{ bytesperline: 4, sizeimage: 12 }] }, [12]],
    ['NM12 two planes, padded', { width: W, height: H, pixelformat: PixFmt.nv12m, planes: [{ bytesperline: 8, sizeimage: 16 }, { bytesperline: 8, sizeimage: 8 }] }, [16, 8]],
    ['YM12 three planes', { width: W, height: H, pixelformat: PixFmt.yuv420m, planes: [{ bytesperline: 4, sizeimage: 8 }, { bytesperline: 2, sizeimage: 2 }, { bytesperline: 2, sizeimage: 2 }] }, [8, 2, 2]],
  ] as const)('%s', (_n, fmt, sizes) => {
    const l = rawLayout({ ...fmt, planes: [...fmt.planes] });
    const bufs = sizes.map((n) => Buffer.alloc(n, 0xee)); // padding bytes must not leak into the picture
    writeI420(i420, W, H, l, bufs);
    expect(readI420(bufs, W, H, l)).toEqual(i420);
  });
});
