/**
 * Which V4L2 controls the M2M encoder sets, and to what: pure planning, no I/O.
 *
 * The low-latency H.264 set follows uStreamer's M2M encoder (35–50 ms glass to glass on a
 * Pi 4): CBR at the configured bitrate, Constrained Baseline (no B-frames, what every
 * phone decodes in hardware), a level that fits the size and rate, an IDR every
 * keyframeInterval frames, SPS/PPS repeated before every IDR so a viewer can join at any
 * IDR, and QP bounded to 16..32 so a scene cut neither floods nor smears.
 * The FWHT set (vicodec, for the emulated tests) is the same flow with the only control
 * vicodec has that means the same thing: the GOP size.
 */
import type { ControlInfo } from '../v4l2/m2m-device.js';
import { ctrl } from '../v4l2/v4l2-binding.js';
import type { EncoderSettings } from '../media/encoder-settings.js';

/** The coded format the CAPTURE queue produces. */
export type M2mCodec = 'h264' | 'fwht';

/** A control's macro name in v4l2-controls.h, as libv4l2-ts exports it. */
export type CidName = keyof typeof ctrl & `V4L2_CID_${string}`;

export interface PlannedControl {
  /** Its id, ctrl[name]. */
  readonly id: number;
  /** The macro name from v4l2-controls.h, for the log. */
  readonly name: CidName;
  readonly value: number;
}

const control = (name: CidName, value: number): PlannedControl => ({ id: ctrl[name] as number, name, value });

/** enum v4l2_mpeg_video_h264_level for a level of Table A-1 ('4.0' → V4L2_MPEG_VIDEO_H264_LEVEL_4_0). */
export function h264LevelCode(level: string): number {
  const key = `V4L2_MPEG_VIDEO_H264_LEVEL_${level.toUpperCase().replace('.', '_')}` as keyof typeof ctrl.v4l2_mpeg_video_h264_level;
  const code = ctrl.v4l2_mpeg_video_h264_level[key];
  if (code === undefined) throw new Error(`no V4L2 menu entry for H.264 level ${level}`);
  return code;
}

/**
 * H.264 Table A-1 limits for the levels we may choose: max macroblocks per second, max
 * frame size in macroblocks, max video bitrate for Baseline (kbit/s).
 */
const LEVELS: readonly { level: string; maxMbps: number; maxFs: number; maxKbps: number }[] = [
  { level: '3.1', maxMbps: 108_000, maxFs: 3_600, maxKbps: 14_000 },
  { level: '3.2', maxMbps: 216_000, maxFs: 5_120, maxKbps: 20_000 },
  { level: '4.0', maxMbps: 245_760, maxFs: 8_192, maxKbps: 20_000 },
  { level: '4.1', maxMbps: 245_760, maxFs: 8_192, maxKbps: 50_000 },
  { level: '4.2', maxMbps: 522_240, maxFs: 8_704, maxKbps: 50_000 },
  { level: '5.0', maxMbps: 589_824, maxFs: 22_080, maxKbps: 135_000 },
  { level: '5.1', maxMbps: 983_040, maxFs: 36_864, maxKbps: 240_000 },
  { level: '5.2', maxMbps: 2_073_600, maxFs: 36_864, maxKbps: 240_000 },
];

/**
 * The H.264 level for a picture size, frame rate and bitrate: the lowest of Table A-1
 * from 3.1 up whose limits hold (3.1 for up to 720p30, 4.0 for 1080p30 at ≤ 20 Mbit/s,
 * 4.2 for 1080p60). The floor is 3.1 because that is the level every browser offers
 * (profile-level-id 42e01f, webrtc/test/fixtures): the SPS then says exactly what the
 * answer signals (streamProfileLevelId), where Safari stays black on a mismatch; lower
 * levels would only constrain. Returns '5.2' when nothing fits (the encoder decides).
 */
export function h264Level(width: number, height: number, fps: number, bitrateBps = 0): string {
  const mbs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const mbps = mbs * fps;
  const fit = LEVELS.find((l) => mbs <= l.maxFs && mbps <= l.maxMbps && bitrateBps <= l.maxKbps * 1000);
  return fit?.level ?? '5.2';
}

/**
 * The profile-level-id (RFC 6184 §8.1) of the stream the box sends: Constrained Baseline
 * (profile_idc 66, constraint_set0..2: 42e0) at h264Level(). The M2M encoder is set to
 * exactly this level; x264 chooses its own level, never above it for these limits (checked
 * on its real SPS in software-encoder.e2e.test.ts). The answer signals it.
 */
export function streamProfileLevelId(s: Pick<EncoderSettings, 'width' | 'height' | 'fps' | 'bitrateBps'>): string {
  const [major, minor] = h264Level(s.width, s.height, s.fps, s.bitrateBps).split('.').map(Number) as [number, number];
  return `42e0${(major * 10 + minor).toString(16).padStart(2, '0')}`;
}

/** The controls we want for a codec and settings, in the order they are set. */
export function planControls(codec: M2mCodec, s: EncoderSettings): PlannedControl[] {
  const gop = Math.max(1, Math.round(s.keyframeInterval));
  if (codec === 'fwht') return [control('V4L2_CID_MPEG_VIDEO_GOP_SIZE', gop)];
  const level = h264Level(s.width, s.height, s.fps, s.bitrateBps);
  return [
    control('V4L2_CID_MPEG_VIDEO_B_FRAMES', 0),
    control('V4L2_CID_MPEG_VIDEO_BITRATE_MODE', ctrl.v4l2_mpeg_video_bitrate_mode.V4L2_MPEG_VIDEO_BITRATE_MODE_CBR),
    control('V4L2_CID_MPEG_VIDEO_BITRATE', s.bitrateBps),
    control('V4L2_CID_MPEG_VIDEO_H264_PROFILE', ctrl.v4l2_mpeg_video_h264_profile.V4L2_MPEG_VIDEO_H264_PROFILE_CONSTRAINED_BASELINE),
    control('V4L2_CID_MPEG_VIDEO_H264_LEVEL', h264LevelCode(level)),
    control('V4L2_CID_MPEG_VIDEO_H264_I_PERIOD', gop),
    control('V4L2_CID_MPEG_VIDEO_GOP_SIZE', gop),
    control('V4L2_CID_MPEG_VIDEO_REPEAT_SEQ_HEADER', 1),
    control('V4L2_CID_MPEG_VIDEO_PREPEND_SPSPPS_TO_IDR', 1),
    control('V4L2_CID_MPEG_VIDEO_H264_MIN_QP', 16),
    control('V4L2_CID_MPEG_VIDEO_H264_MAX_QP', 32),
  ];
}

export interface ControlDecision {
  readonly apply: readonly PlannedControl[];
  /** One log line each: what was skipped or clamped, and why. */
  readonly notes: readonly string[];
}

/**
 * Meets the plan with what the driver has (QUERYCTRL answers, undefined = no such control):
 * missing controls are skipped, values outside the driver's range are clamped (menus
 * included: a menu's range is its item indices). Each skip or clamp gives one note.
 */
export function resolveControls(plan: readonly PlannedControl[], lookup: (id: number) => ControlInfo | undefined, driver: string): ControlDecision {
  const apply: PlannedControl[] = [];
  const notes: string[] = [];
  for (const c of plan) {
    const info = lookup(c.id);
    if (!info) {
      notes.push(`${driver} has no ${c.name}; leaving the driver's default`);
      continue;
    }
    const value = Math.min(info.maximum, Math.max(info.minimum, c.value));
    if (value !== c.value) notes.push(`${driver} limits ${c.name} to ${info.minimum}..${info.maximum}; using ${value} instead of ${c.value}`);
    apply.push({ ...c, value });
  }
  return { apply, notes };
}
