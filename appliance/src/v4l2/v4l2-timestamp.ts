import { captureClockMs } from '../media/raw-frame.js';
import { vd } from './v4l2-binding.js';

/**
 * Pure: a buffer's timestamp (µs) as wall-clock ms on RawFrame's clock. Only a
 * CLOCK_MONOTONIC timestamp (V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) can be converted; any other
 * kind, or one that is implausible (in the future, or older than 10 s), falls back to now.
 */
export function wallClockOf(
  timestampUs: number,
  bufFlags: number,
  monoNowUs: number = Number(process.hrtime.bigint() / 1000n),
  wallNowMs: number = captureClockMs(),
): number {
  if ((bufFlags & vd.V4L2_BUF_FLAG_TIMESTAMP_MASK) !== vd.V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC) return wallNowMs;
  const ageMs = (monoNowUs - timestampUs) / 1000;
  return ageMs >= 0 && ageMs < 10_000 ? wallNowMs - ageMs : wallNowMs;
}
