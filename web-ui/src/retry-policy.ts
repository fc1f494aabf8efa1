/**
 * How long to wait before asking the box again. Pure: the caller owns the clock.
 */

/** Attempts before giving up: the first connect, and a resume after a network blip. */
export const MAX_ATTEMPTS = { connect: 8, resume: 12 } as const;

const BASE_MS = 500;
const CAP_MS = 10_000;
/** A Retry-After longer than this is clamped: a parent will not wait minutes. */
const RETRY_AFTER_CAP_MS = 30_000;

/**
 * backoffDelayMs: 0.5 s, 1 s, 2 s, 4 s, 8 s, then 10 s, each scaled by a jitter in
 * [0.8, 1.2) from `random` (a value in [0, 1)) so phones do not retry in step.
 */
export function backoffDelayMs(attempt: number, random: number): number {
  const base = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random));
}

/**
 * retryAfterMs reads a 429's Retry-After (RFC 9110 §10.2.3: delay-seconds or an
 * HTTP-date); null when absent or unreadable, so the caller falls back to back-off.
 */
export function retryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Math.min(RETRY_AFTER_CAP_MS, Number(v) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return null;
  return Math.min(RETRY_AFTER_CAP_MS, Math.max(0, date - nowMs));
}
