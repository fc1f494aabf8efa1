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
import { AUDIO_SAMPLE_RATE } from './audio-frame.js';

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

/**
 * `samples` mono S16LE samples of the heartbeat from capture time `startMs` (the first
 * sample's time; sample i is at startMs + i/48 ms). Each burst starts at phase 0 at its
 * scheduled start, with 1 ms raised-cosine edges so it does not click.
 */
export function renderHeartbeat(startMs: number, samples: number, s: HeartbeatSchedule = HEARTBEAT): Buffer {
  const out = Buffer.alloc(samples * 2);
  const rampMs = 1;
  for (let i = 0; i < samples; i++) {
    const t = startMs + (i * 1000) / AUDIO_SAMPLE_RATE;
    const since = t - burstStartAtOrBefore(t, s);
    if (since >= s.burstMs) continue;
    const edge = Math.min(since, s.burstMs - since);
    const gain = edge >= rampMs ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / rampMs);
    const v = s.amplitude * gain * Math.sin((2 * Math.PI * s.toneHz * since) / 1000);
    out.writeInt16LE(Math.round(v * 32767), i * 2);
  }
  return out;
}
