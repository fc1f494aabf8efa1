import type { ZeroCopyTarget } from '../media/dmabuf-frame.js';
import type { RawFrame } from '../media/raw-frame.js';
import type { SourceCondition } from '../media/source-condition.js';

/** FrameSink receives what a FrameSource produces. Calls are synchronous and cheap. */
export interface FrameSink {
  onFrame(frame: RawFrame): void;
  /** Called once per change of condition, never repeated for the same one. */
  onCondition(condition: SourceCondition, detail?: string): void;
}

/**
 * FrameSource is anything that produces raw pictures: the test pattern, a looped file,
 * raw I420 on standard input, or a V4L2 capture device. Device paths arrive through
 * the constructor; a source never guesses them.
 */
export interface FrameSource {
  /** Short machine name shown in /api/status: 'test-pattern', 'file', 'stdin', 'v4l2'. */
  readonly kind: string;
  /** One human line for the log, e.g. "test pattern 1280x720@30". Never a patient detail. */
  readonly description: string;
  /** Begins producing; frames and conditions go to the sink until stop(). */
  start(sink: FrameSink): void;
  /** Stops producing and releases every resource; safe to call twice. */
  stop(): Promise<void>;
}

/** A FrameSource that can lend capture buffers as DmabufFrames once told where they go. */
export interface ZeroCopySource extends FrameSource {
  /** undefined turns zero copy off (the default): every frame is copied to I420. */
  setZeroCopyTarget(target: ZeroCopyTarget | undefined): void;
}

export function isZeroCopySource(s: FrameSource): s is ZeroCopySource {
  return typeof (s as Partial<ZeroCopySource>).setZeroCopyTarget === 'function';
}
