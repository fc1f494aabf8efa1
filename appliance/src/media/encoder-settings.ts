/** What every encoder is asked to produce. Constrained Baseline, no B-frames, always. */
export interface EncoderSettings {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly bitrateBps: number;
  /** Frames between periodic IDRs; IDRs on request come on top. */
  readonly keyframeInterval: number;
}

/**
 * EncoderState is the closed set of states an encoder reports (EncoderSink.onState), one
 * call per change: like a SourceCondition, trouble is a state that lasts.
 */
export const EncoderState = {
  running: 'running',
  /** The encoder failed and is being restarted with back-off; viewers stay connected. */
  restarting: 'restarting',
  stopped: 'stopped',
} as const;
export type EncoderState = (typeof EncoderState)[keyof typeof EncoderState];
