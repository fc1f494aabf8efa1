/**
 * Pacing on an absolute schedule: tick k is due at startMs + k·intervalMs. Pure; the
 * caller owns the timer. A late wake-up emits one frame for the newest due tick and
 * skips the missed ones — no drift, and no catch-up burst after a stall.
 */
export interface ScheduleStep {
  /** Emit a frame now for this tick (false: woke early, nothing due yet). */
  readonly emit: boolean;
  /** The newest tick that is due (or the last one emitted when nothing is due). */
  readonly tick: number;
  /** Ticks skipped because the wake-up came late. */
  readonly skipped: number;
  /** How long to wait until the next tick is due. */
  readonly delayMs: number;
}

const EARLY_MS = 0.25;

/** What to do at nowMs when lastTick was the last tick emitted (-1 before the first). */
export function scheduleStep(startMs: number, intervalMs: number, nowMs: number, lastTick: number): ScheduleStep {
  // A wake-up within EARLY_MS of a tick counts as on time: timers and performance.now()
  // disagree by fractions of a millisecond, and float division must not miss a tick.
  const due = Math.floor((nowMs - startMs + EARLY_MS) / intervalMs);
  const emit = due > lastTick;
  const tick = emit ? due : lastTick;
  const delayMs = Math.max(0, startMs + (tick + 1) * intervalMs - nowMs);
  return { emit, tick, skipped: emit ? due - lastTick - 1 : 0, delayMs };
}
