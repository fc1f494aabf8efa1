/**
 * The synthetic heartbeat's schedule, shared by sound and picture so latency and A/V sync
 * can be measured (issue 12): a tone burst (1 kHz, 40 ms) at 2 Hz, with burst starts at
 * whole multiples of the period on the capture clock (Unix ms). Deterministic: any module
 * that knows a capture time knows whether it is in a burst, with no shared state — the
 * test pattern flashes its marker on the frame whose capture time is nearest a burst
 * start (markerBurstForFrame), the heartbeat source renders the tone from that same start
 * (renderHeartbeat), and the bench compares the two arrivals, correcting by the frame's
 * known offset from the burst start. Pure.
 */

export interface HeartbeatSchedule {
  /** Time between burst starts, ms. */
  readonly periodMs: number;
  /** Length of each burst, ms. */
  readonly burstMs: number;
  readonly toneHz: number;
  /** Peak amplitude, fraction of full scale. */
  readonly amplitude: number;
}

/** 1 kHz for 40 ms, twice a second, at half of full scale. */
export const HEARTBEAT: HeartbeatSchedule = { periodMs: 500, burstMs: 40, toneHz: 1000, amplitude: 0.5 };

/** Start of the latest burst that starts at or before `timeMs`. */
export function burstStartAtOrBefore(timeMs: number, s: HeartbeatSchedule = HEARTBEAT): number {
  return Math.floor(timeMs / s.periodMs) * s.periodMs;
}

/** True while a burst sounds at `timeMs`. */
export function inBurst(timeMs: number, s: HeartbeatSchedule = HEARTBEAT): boolean {
  return timeMs - burstStartAtOrBefore(timeMs, s) < s.burstMs;
}

/**
 * For a video frame captured at `frameMs` at `intervalMs` per frame: the burst whose start
 * is nearest the frame's capture time, when within half a frame interval (so exactly one
 * frame per burst flashes), with the frame's offset from the burst start (frame − burst,
 * |offset| ≤ interval/2). Undefined for every other frame.
 */
export function markerBurstForFrame(frameMs: number, intervalMs: number, s: HeartbeatSchedule = HEARTBEAT): { burstStartMs: number; offsetMs: number } | undefined {
  const nearest = Math.round(frameMs / s.periodMs) * s.periodMs;
  const offsetMs = frameMs - nearest;
  // Half-open, [−interval/2, +interval/2): a frame exactly between two bursts' frames is claimed once.
  return offsetMs >= -intervalMs / 2 && offsetMs < intervalMs / 2 ? { burstStartMs: nearest, offsetMs } : undefined;
}
