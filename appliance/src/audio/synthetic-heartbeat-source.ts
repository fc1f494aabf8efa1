/**
 * HeartbeatSource (kind 'heartbeat'): the test pattern's sound, 20 ms PCM frames of the
 * shared heartbeat schedule (media/heartbeat-schedule.ts, rendered by heartbeat-tone.ts) on the capture clock.
 *
 * Like a capture device, frame k (first sample at startMs + 20k) is delivered once its
 * last sample is "captured", at startMs + 20(k+1), with captureTimeMs = its first
 * sample's time: exact, not the timer's wake-up. A late wake-up delivers the frames that
 * became due (audio must not skip); a stall beyond maxCatchUp frames jumps ahead and marks
 * the next frame a discontinuity.
 */
import { captureClockMs } from '../media/raw-frame.js';
import { AUDIO_FRAME_MS, AUDIO_FRAME_SAMPLES, type PcmSink, type PcmSource } from './audio-frame.js';
import { HEARTBEAT, type HeartbeatSchedule } from '../media/heartbeat-schedule.js';
import { renderHeartbeat } from './heartbeat-tone.js';

export interface HeartbeatSourceOptions {
  readonly schedule?: HeartbeatSchedule;
  /** Frames delivered at most per wake-up before jumping ahead; default 10 (200 ms). */
  readonly maxCatchUp?: number;
  /** Capture clock (tests). */
  readonly now?: () => number;
}

export class HeartbeatSource implements PcmSource {
  readonly kind = 'heartbeat';
  readonly description: string;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly schedule: HeartbeatSchedule;
  private readonly now: () => number;

  constructor(private readonly o: HeartbeatSourceOptions = {}) {
    this.schedule = o.schedule ?? HEARTBEAT;
    this.now = o.now ?? captureClockMs;
    const s = this.schedule;
    this.description = `synthetic heartbeat (${s.toneHz} Hz, ${s.burstMs} ms every ${s.periodMs} ms)`;
  }

  start(sink: PcmSink): void {
    if (this.running) return;
    this.running = true;
    const startMs = this.now();
    let next = 0;
    let discontinuity = true;
    const maxCatchUp = this.o.maxCatchUp ?? 10;
    const wake = (): void => {
      if (!this.running) return;
      const now = this.now();
      const due = Math.floor((now - startMs) / AUDIO_FRAME_MS) - 1; // newest frame whose last sample is past
      if (due - next >= maxCatchUp) {
        next = due;
        discontinuity = true;
      }
      for (; next <= due; next++) {
        const captureTimeMs = startMs + next * AUDIO_FRAME_MS;
        sink.onFrame({ channels: 1, data: renderHeartbeat(captureTimeMs, AUDIO_FRAME_SAMPLES, this.schedule), captureTimeMs, seq: next, discontinuity });
        discontinuity = false;
      }
      this.timer = setTimeout(wake, Math.max(1, startMs + (next + 1) * AUDIO_FRAME_MS - this.now()));
    };
    this.timer = setTimeout(wake, AUDIO_FRAME_MS);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
