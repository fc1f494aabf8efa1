/**
 * The synthetic heartbeat's sound: the shared schedule (media/heartbeat-schedule.ts)
 * rendered as 48 kHz mono PCM. Pure.
 */
import { burstStartAtOrBefore, HEARTBEAT, type HeartbeatSchedule } from '../media/heartbeat-schedule.js';
import { AUDIO_SAMPLE_RATE } from './audio-frame.js';

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
