import type { AccessUnit } from '../media/access-unit.js';
import type { EncoderState } from '../media/encoder-settings.js';
import type { RawFrame } from '../media/raw-frame.js';

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
