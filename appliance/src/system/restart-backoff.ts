/**
 * Restart back-off for a supervised process or device (both encoders, the file source's
 * ffmpeg), as pure arithmetic: the caller owns the timer and the clock. After a failure
 * the next start waits initialMs, doubling
 * per consecutive failure up to maxMs; a process that stayed up for healthyResetMs
 * before failing counts as a fresh start (the sequence begins again at initialMs).
 */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly healthyResetMs: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 250, maxMs: 8_000, healthyResetMs: 10_000 };

/** Consecutive failures so far; 0 when the process has been healthy. */
export interface BackoffState {
  readonly failures: number;
}

export const initialBackoffState: BackoffState = { failures: 0 };

/**
 * The delay before the next start, after a process that ran for `upMs` has failed,
 * and the state to keep for the failure after that.
 */
export function onFailure(policy: BackoffPolicy, state: BackoffState, upMs: number): { delayMs: number; state: BackoffState } {
  const failures = upMs >= policy.healthyResetMs ? 0 : state.failures;
  const delayMs = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures, 30));
  return { delayMs, state: { failures: failures + 1 } };
}
