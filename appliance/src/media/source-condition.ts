/**
 * SourceCondition is the closed set of things that can be true of the signal, after
 * uStreamer: trouble with the picture is a state that lasts, not an exception.
 * While a source is not 'live' the pipeline sends the slate and keeps viewers connected.
 */
export const SourceCondition = {
  live: 'live',
  noDevice: 'no-device',
  noSignal: 'no-signal',
  noSync: 'no-sync',
  outOfRange: 'out-of-range',
  error: 'error',
} as const;
export type SourceCondition = (typeof SourceCondition)[keyof typeof SourceCondition];
