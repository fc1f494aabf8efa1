/**
 * RestartSchedule is the timer half of encode/encoder-supervisor.ts's back-off: after each
 * failure, after(upMs, run) runs `run` once the policy's delay has passed (250 ms doubling
 * to 8 s by default; a run that lasted healthyResetMs starts over) and returns that delay
 * for the log line. cancel() drops a pending restart (stop()).
 */
import { defaultBackoff, initialBackoffState, onFailure, type BackoffPolicy, type BackoffState } from './restart-backoff.js';

export class RestartSchedule {
  private state: BackoffState = initialBackoffState;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly policy: BackoffPolicy = defaultBackoff) {}

  /** Schedules `run` after the back-off for a failure of something that ran `upMs`; returns the delay. */
  after(upMs: number, run: () => void): number {
    const { delayMs, state } = onFailure(this.policy, this.state, upMs);
    this.state = state;
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      run();
    }, delayMs);
    return delayMs;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
