import { describe, expect, it } from 'vitest';
import type { ControlInfo } from '../v4l2/m2m-device.js';
import { ctrl as cid } from '../v4l2/v4l2-binding.js';
import { h264Level, h264LevelCode, planControls, resolveControls, streamProfileLevelId } from './v4l2-m2m-encoder-controls.js';

describe('h264Level (Table A-1, floor 3.1)', () => {
  it.each([
    ['640x480@30', 640, 480, 30, 4_000_000, '3.1'],
    ['720p30', 1280, 720, 30, 4_000_000, '3.1'],
    ['720p30 at 15 Mbit/s (over 3.1\'s 14)', 1280, 720, 30, 15_000_000, '3.2'],
    ['720p60', 1280, 720, 60, 4_000_000, '3.2'],
    ['1080p30', 1920, 1080, 30, 8_000_000, '4.0'],
    ['1080p30 at 25 Mbit/s (over 4.0\'s 20)', 1920, 1080, 30, 25_000_000, '4.1'],
    ['1080p50', 1920, 1080, 50, 8_000_000, '4.2'],
    ['1080p60', 1920, 1080, 60, 8_000_000, '4.2'],
    ['1440p30 (frame too big for 4.x)', 2560, 1440, 30, 8_000_000, '5.0'],
    ['4K30', 3840, 2160, 30, 20_000_000, '5.1'],
    ['4K60', 3840, 2160, 60, 20_000_000, '5.2'],
  ])('%s → %s', (_n, w, h, fps, bps, want) => expect(h264Level(w, h, fps, bps)).toBe(want));
});

describe('the M2M controls against the profile-level-id the answer signals', () => {
  // What the V4L2 M2M path can prove here: the controls the box sets encode exactly the
  // profile and level it signals. That the driver then writes them into its SPS (profile_idc
  // 66 + constraint_set1, level_idc) only a board can show (vicodec emits FWHT, not H.264):
  // hw-tests/encoder.hw.test.ts reads the SPS on a Pi or Jetson.
  // level_idc is ten times the level (Table A-1): 31 → '3.1'.
  const levelOf = (idc: number): string => `${Math.floor(idc / 10)}.${idc % 10}`;
  it.each([
    ['the box default, 720p30 at 4 Mbit/s: what every browser offers', { width: 1280, height: 720, fps: 30, bitrateBps: 4_000_000 }, '42e01f'],
    ['1080p30 at 8 Mbit/s', { width: 1920, height: 1080, fps: 30, bitrateBps: 8_000_000 }, '42e028'],
    ['1080p60 at 8 Mbit/s', { width: 1920, height: 1080, fps: 60, bitrateBps: 8_000_000 }, '42e02a'],
  ])('%s → %s', (_n, s, pli) => {
    expect(streamProfileLevelId(s)).toBe(pli);
    const plan = new Map(planControls('h264', { ...s, keyframeInterval: 60 }).map((c) => [c.id, c.value]));
    expect(plan.get(cid.V4L2_CID_MPEG_VIDEO_H264_PROFILE)).toBe(1); // V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE
    expect(plan.get(cid.V4L2_CID_MPEG_VIDEO_H264_LEVEL)).toBe(h264LevelCode(levelOf(parseInt(pli.slice(4), 16))));
  });
});

const settings = { width: 1920, height: 1080, fps: 60, bitrateBps: 6_000_000, keyframeInterval: 60 };

describe('h264LevelCode: Table A-1 level → enum v4l2_mpeg_video_h264_level', () => {
  it.each([['1.0', 0], ['1b', 1], ['3.1', 9], ['4.0', 11], ['4.2', 13], ['5.2', 16]] as const)('%s → %i', (level, code) => expect(h264LevelCode(level)).toBe(code));
  it('refuses a level that does not exist', () => expect(() => h264LevelCode('4.7')).toThrow(/no V4L2 menu entry/));
});

describe('planControls', () => {
  it('H.264: CBR, Constrained Baseline, level, I-period, repeated headers, QP bounds, no B-frames', () => {
    const plan = Object.fromEntries(planControls('h264', settings).map((c) => [c.name.replace('V4L2_CID_MPEG_VIDEO_', ''), c.value]));
    expect(plan).toEqual({
      B_FRAMES: 0, BITRATE_MODE: 1, BITRATE: 6_000_000, H264_PROFILE: 1, H264_LEVEL: 13, // V4L2_MPEG_VIDEO_H264_LEVEL_4_2
      H264_I_PERIOD: 60, GOP_SIZE: 60, REPEAT_SEQ_HEADER: 1, PREPEND_SPSPPS_TO_IDR: 1, H264_MIN_QP: 16, H264_MAX_QP: 32,
    });
  });
  it('FWHT (vicodec): the GOP size only', () => {
    expect(planControls('fwht', settings)).toEqual([{ id: cid.V4L2_CID_MPEG_VIDEO_GOP_SIZE, name: 'V4L2_CID_MPEG_VIDEO_GOP_SIZE', value: 60 }]);
  });
});

const ctrl = (id: number, minimum: number, maximum: number): ControlInfo => ({ id, name: '', type: 1, minimum, maximum, step: 1, defaultValue: minimum, flags: 0 });
/** Driver control sets as their sources register them. */
const drivers: Record<string, ControlInfo[]> = {
  // drivers/media/test-drivers/vicodec: GOP 1..16, FWHT QPs, no H.264 controls.
  vicodec: [ctrl(cid.V4L2_CID_MPEG_VIDEO_GOP_SIZE, 1, 16), ctrl(cid.V4L2_CID_FWHT_I_FRAME_QP, 1, 31), ctrl(cid.V4L2_CID_FWHT_P_FRAME_QP, 1, 31)],
  // bcm2835-codec (Raspberry Pi kernel): no GOP_SIZE, no PREPEND_SPSPPS_TO_IDR.
  'bcm2835-codec': [
    ctrl(cid.V4L2_CID_MPEG_VIDEO_BITRATE_MODE, 0, 1), ctrl(cid.V4L2_CID_MPEG_VIDEO_BITRATE, 25_000, 25_000_000), ctrl(cid.V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER, 0, 1), ctrl(cid.V4L2_CID_MPEG_VIDEO_H264_I_PERIOD, 0, 0x7fffffff),
    ctrl(cid.V4L2_CID_MPEG_VIDEO_H264_LEVEL, 0, 15), ctrl(cid.V4L2_CID_MPEG_VIDEO_H264_PROFILE, 0, 4), ctrl(cid.V4L2_CID_MPEG_VIDEO_H264_MIN_QP, 0, 51), ctrl(cid.V4L2_CID_MPEG_VIDEO_H264_MAX_QP, 0, 51), ctrl(cid.V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 0, 0), ctrl(cid.V4L2_CID_MPEG_VIDEO_B_FRAMES, 0, 0),
  ],
};
const lookup = (name: string) => (id: number) => drivers[name]!.find((c) => c.id === id);

describe('resolveControls', () => {
  it('vicodec: GOP clamped to its 1..16, with a note', () => {
    const d = resolveControls(planControls('fwht', settings), lookup('vicodec'), 'vicodec');
    expect(d.apply).toEqual([{ id: cid.V4L2_CID_MPEG_VIDEO_GOP_SIZE, name: 'V4L2_CID_MPEG_VIDEO_GOP_SIZE', value: 16 }]);
    expect(d.notes).toEqual(['vicodec limits V4L2_CID_MPEG_VIDEO_GOP_SIZE to 1..16; using 16 instead of 60']);
  });
  it('vicodec asked for H.264 controls: every one skipped with one line each', () => {
    const d = resolveControls(planControls('h264', settings), lookup('vicodec'), 'vicodec');
    expect(d.apply.map((c) => c.name)).toEqual(['V4L2_CID_MPEG_VIDEO_GOP_SIZE']);
    expect(d.notes.filter((n) => n.includes('has no'))).toHaveLength(10);
  });
  it('bcm2835-codec: everything but GOP_SIZE and PREPEND applied unchanged', () => {
    const d = resolveControls(planControls('h264', settings), lookup('bcm2835-codec'), 'bcm2835-codec');
    expect(d.apply.map((c) => c.name.replace('V4L2_CID_MPEG_VIDEO_', ''))).toEqual(['B_FRAMES', 'BITRATE_MODE', 'BITRATE', 'H264_PROFILE', 'H264_LEVEL', 'H264_I_PERIOD', 'REPEAT_SEQ_HEADER', 'H264_MIN_QP', 'H264_MAX_QP']);
    expect(d.notes).toEqual([
      'bcm2835-codec has no V4L2_CID_MPEG_VIDEO_GOP_SIZE; leaving the driver\'s default',
      'bcm2835-codec has no V4L2_CID_MPEG_VIDEO_PREPEND_SPSPPS_TO_IDR; leaving the driver\'s default',
    ]);
  });
});
