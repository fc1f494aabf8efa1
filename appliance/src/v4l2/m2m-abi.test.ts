import v4l2ts from 'libv4l2-ts';
import { describe, expect, it } from 'vitest';
import * as abi from './m2m-abi.js';

const { videodev2, v4l2_controls } = v4l2ts;
type RefStruct = { size: number; fields: Record<string, { offset: number }> };
const struct = (name: string): RefStruct => (videodev2 as unknown as Record<string, RefStruct>)[name]!;
const native = videodev2.ioctl as unknown as Record<string, number>;

describe('ioctl numbers match the ones libv4l2-ts computes natively from videodev2.h', () => {
  const cases: [keyof typeof abi.Ioctl, string][] = [
    ['querycap', 'VIDIOC_QUERYCAP'], ['enumFmt', 'VIDIOC_ENUM_FMT'], ['gFmt', 'VIDIOC_G_FMT'], ['sFmt', 'VIDIOC_S_FMT'],
    ['reqbufs', 'VIDIOC_REQBUFS'], ['querybuf', 'VIDIOC_QUERYBUF'], ['qbuf', 'VIDIOC_QBUF'], ['expbuf', 'VIDIOC_EXPBUF'],
    ['dqbuf', 'VIDIOC_DQBUF'], ['streamon', 'VIDIOC_STREAMON'], ['streamoff', 'VIDIOC_STREAMOFF'], ['gParm', 'VIDIOC_G_PARM'],
    ['sParm', 'VIDIOC_S_PARM'], ['gCtrl', 'VIDIOC_G_CTRL'], ['sCtrl', 'VIDIOC_S_CTRL'], ['queryctrl', 'VIDIOC_QUERYCTRL'],
    ['encoderCmd', 'VIDIOC_ENCODER_CMD'],
  ];
  it.each(cases)('%s = %s', (ours, theirs) => {
    expect(abi.Ioctl[ours].toString(16)).toBe(native[theirs]!.toString(16));
  });
});

describe('struct sizes and offsets match libv4l2-ts struct definitions', () => {
  it.each([
    ['v4l2_capability', abi.SIZE.capability], ['v4l2_fmtdesc', abi.SIZE.fmtdesc], ['v4l2_format', abi.SIZE.format],
    ['v4l2_requestbuffers', abi.SIZE.requestbuffers], ['v4l2_buffer', abi.SIZE.buffer], ['v4l2_plane', abi.SIZE.plane],
    ['v4l2_exportbuffer', abi.SIZE.exportbuffer], ['v4l2_streamparm', abi.SIZE.streamparm], ['v4l2_control', abi.SIZE.control],
    ['v4l2_queryctrl', abi.SIZE.queryctrl], ['v4l2_encoder_cmd', abi.SIZE.encoderCmd],
    ['v4l2_decoder_cmd', abi.SIZE.decoderCmd], ['v4l2_event', abi.SIZE.event], ['v4l2_event_subscription', abi.SIZE.eventSubscription],
  ] as const)('%s is %i bytes', (name, size) => expect(struct(name).size).toBe(size));

  it('v4l2_buffer fields sit where buffer()/parseBuffer() put them', () => {
    const f = struct('v4l2_buffer').fields;
    expect([f.index!.offset, f.type!.offset, f.bytesused!.offset, f.flags!.offset, f.field!.offset, f.timestamp!.offset, f.sequence!.offset, f.memory!.offset, f.m!.offset, f.length!.offset])
      .toEqual([0, 4, 8, 12, 16, 24, 56, 60, 64, 72]);
    const p = struct('v4l2_plane').fields;
    expect([p.bytesused!.offset, p.length!.offset, p.m!.offset, p.data_offset!.offset]).toEqual([0, 4, 8, 16]);
  });

  it('v4l2_pix_format_mplane puts plane_fmt at 20 and num_planes at 180 (format offsets 28 and 188)', () => {
    const f = struct('v4l2_pix_format_mplane').fields;
    expect([f.plane_fmt!.offset + 8, f.num_planes!.offset + 8]).toEqual([28, 188]);
    expect(struct('v4l2_format').fields.fmt!.offset).toBe(8);
  });
});

describe('control ids match v4l2-controls.h as ported by libv4l2-ts', () => {
  const c = v4l2_controls as unknown as Record<string, number>;
  it.each([
    ['bitrate', 'V4L2_CID_MPEG_VIDEO_BITRATE'], ['bitrateMode', 'V4L2_CID_MPEG_VIDEO_BITRATE_MODE'], ['gopSize', 'V4L2_CID_MPEG_VIDEO_GOP_SIZE'],
    ['bFrames', 'V4L2_CID_MPEG_VIDEO_B_FRAMES'], ['repeatSeqHeader', 'V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER'], ['forceKeyFrame', 'V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME'],
    ['h264MinQp', 'V4L2_CID_MPEG_VIDEO_H264_MIN_QP'], ['h264MaxQp', 'V4L2_CID_MPEG_VIDEO_H264_MAX_QP'], ['h264IPeriod', 'V4L2_CID_MPEG_VIDEO_H264_I_PERIOD'],
    ['h264Level', 'V4L2_CID_MPEG_VIDEO_H264_LEVEL'], ['h264Profile', 'V4L2_CID_MPEG_VIDEO_H264_PROFILE'], ['fwhtIFrameQp', 'V4L2_CID_FWHT_I_FRAME_QP'],
  ] as const)('%s = %s', (ours, theirs) => {
    if (c[theirs] === undefined) return expect.fail(`libv4l2-ts lacks ${theirs}`);
    expect(abi.Cid[ours]).toBe(c[theirs]);
  });
});

describe('struct builders', () => {
  it('single-planar QBUF with a timestamp: tv_sec/tv_usec, memory, bytesused', () => {
    const { buf, planes } = abi.buffer({ type: abi.BufType.videoOutput, memory: abi.Memory.mmap, index: 2, planes: [{ bytesused: 460800 }], timestampUs: 1_700_000_123_456_789n }, 1);
    expect(planes).toBeUndefined();
    expect(buf.readUInt32LE(0)).toBe(2);
    expect(buf.readUInt32LE(4)).toBe(2);
    expect(buf.readUInt32LE(8)).toBe(460800);
    expect(buf.readBigInt64LE(24)).toBe(1_700_000_123n);
    expect(buf.readBigInt64LE(32)).toBe(456_789n);
    expect(abi.parseBuffer(buf, undefined).timestampUs).toBe(1_700_000_123_456_789n);
  });

  it('multi-planar DMABUF QBUF: plane array carries fd and bytesused, length = plane count, pointer at m', () => {
    const { buf, planes } = abi.buffer({ type: abi.BufType.videoOutputMplane, memory: abi.Memory.dmabuf, index: 1, planes: [{ bytesused: 100, length: 128, fd: 42 }] }, 1);
    expect(planes!.length).toBe(64);
    expect(planes!.readUInt32LE(0)).toBe(100);
    expect(planes!.readUInt32LE(4)).toBe(128);
    expect(planes!.readInt32LE(8)).toBe(42);
    expect(buf.readUInt32LE(72)).toBe(1);
    abi.setPlanesPointer(buf, 0x7f00_1234_5678n);
    expect(buf.readBigUInt64LE(64)).toBe(0x7f00_1234_5678n);
  });

  it('S_FMT round trip, single and multi-planar', () => {
    const s = abi.format(abi.BufType.videoCapture, { width: 1280, height: 720, pixelformat: abi.PixFmt.h264, sizeimage: 921600 });
    expect(abi.parseFormat(s)).toEqual({ width: 1280, height: 720, pixelformat: abi.PixFmt.h264, planes: [{ bytesperline: 0, sizeimage: 921600 }] });
    const m = abi.format(abi.BufType.videoCaptureMplane, { width: 1920, height: 1080, pixelformat: abi.PixFmt.h264, sizeimage: 2073600 });
    expect(abi.parseFormat(m).planes).toEqual([{ sizeimage: 2073600, bytesperline: 0 }]);
  });

  it('fourccs read as text', () => {
    expect(abi.fourccText(abi.PixFmt.yuv420)).toBe('YU12');
    expect(abi.PixFmt.h264).toBe(0x34363248);
  });

  it('caps → planar API', () => {
    expect(abi.m2mPlanes(abi.Cap.videoM2mMplane | abi.Cap.streaming)).toBe('multi');
    expect(abi.m2mPlanes(abi.Cap.videoM2m | abi.Cap.streaming)).toBe('single');
    expect(abi.m2mPlanes(abi.Cap.videoCapture | abi.Cap.streaming)).toBeUndefined();
  });

  it('refuses 32-bit user space', () => {
    expect(() => abi.assertLp64('arm')).toThrow(/64-bit/);
    expect(() => abi.assertLp64('arm64')).not.toThrow();
  });
});
