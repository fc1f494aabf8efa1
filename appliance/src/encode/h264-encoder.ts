import type { RawFrame } from '../capture/raw-frame.js';

/**
 * AccessUnit is one encoded picture: every NAL unit the encoder produced for it, in
 * order, without Annex-B start codes or length prefixes.
 */
export interface AccessUnit {
  readonly nalus: readonly Buffer[];
  /** True when the unit holds an IDR slice (and, by our encoder settings, SPS and PPS before it). */
  readonly keyframe: boolean;
  /** Copied from the RawFrame it encodes (see RawFrame.captureTimeMs). */
  readonly captureTimeMs: number;
  /** Copied from the RawFrame it encodes. */
  readonly seq: number;
}

/** What every encoder is asked to produce. Constrained Baseline, no B-frames, always. */
export interface EncoderSettings {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly bitrateBps: number;
  /** Frames between periodic IDRs; IDRs on request come on top. */
  readonly keyframeInterval: number;
}

export const EncoderState = {
  running: 'running',
  /** The encoder failed and is being restarted with back-off; viewers stay connected. */
  restarting: 'restarting',
  stopped: 'stopped',
} as const;
export type EncoderState = (typeof EncoderState)[keyof typeof EncoderState];

export interface EncoderSink {
  /** Called as soon as the whole access unit is known: never one frame late. */
  onAccessUnit(au: AccessUnit): void;
  onState(state: EncoderState, detail?: string): void;
}

/**
 * H264Encoder turns RawFrames into AccessUnits. Implementations: the software encoder
 * (libx264 in a supervised child process) and the V4L2 memory-to-memory encoder.
 * encode() never blocks; an encoder that is busy or restarting drops the frame.
 */
export interface H264Encoder {
  /** Machine name for /api/status, e.g. 'x264', 'v4l2-m2m:bcm2835-codec'. */
  readonly name: string;
  start(sink: EncoderSink): void;
  /** Frames whose size differs from the current settings reconfigure the encoder first. */
  encode(frame: RawFrame): void;
  /** The next encoded picture will be an IDR preceded by SPS and PPS. */
  requestKeyframe(): void;
  stop(): Promise<void>;
}
