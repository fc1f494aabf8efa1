import type { DmabufFrame, MappedFormat } from '../media/dmabuf-frame.js';
import type { AccessUnit } from '../media/access-unit.js';
import type { EncoderState } from '../media/encoder-settings.js';
import type { LogLevel } from '../system/logger.js';
import type { RawFrame } from '../media/raw-frame.js';

/** The level an encoder logs a state at: a restart is a warning (someone may have to look), the rest info. */
export function encoderStateLevel(state: EncoderState): LogLevel {
  return state === 'restarting' ? 'warn' : 'info';
}

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

/** An H264Encoder that can also import capture buffers by fd (V4l2M2mEncoder). */
export interface ZeroCopyEncoder extends H264Encoder {
  /** Whether a capture buffer in this layout can be queued as is (format, size, stride); cached per layout. */
  acceptsDmabuf(format: MappedFormat): boolean;
  /** encode() without a copy; the frame is released once the encoder no longer reads it. False if dropped. */
  encodeDmabuf(frame: DmabufFrame): boolean;
}

export function isZeroCopyEncoder(e: H264Encoder): e is ZeroCopyEncoder {
  const z = e as Partial<ZeroCopyEncoder>;
  return typeof z.encodeDmabuf === 'function' && typeof z.acceptsDmabuf === 'function';
}
