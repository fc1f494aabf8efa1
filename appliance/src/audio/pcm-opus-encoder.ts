/**
 * PcmOpusEncoder: PCM frames in (the synthetic heartbeat, a file's audio track), Opus
 * packets out, through appliance/native/opus-pipe --stdin.
 *
 * Contracts (like encode/software-encoder.ts):
 * - encode() never blocks: at most maxFramesInFlight frames are in the helper; more are
 *   dropped and counted (the next frame sent is then marked a discontinuity, so the RTP
 *   timeline stays true to the capture clock).
 * - One frame in gives one packet out, in order, seq copied, captureTimeMs minus the
 *   encoder's lookahead (opus-pipe.c).
 * - The helper dying → restart with back-off (encode/encoder-supervisor.ts); frames meanwhile
 *   are dropped; the first one after is a discontinuity.
 */
import { silentLogger, type Logger } from '../system/logger.js';
import type { BackoffPolicy } from '../system/restart-backoff.js';
import { RestartSchedule } from '../system/restart-schedule.js';
import type { OpusPacket, PcmFrame } from './audio-frame.js';
import { HelperRun, opusPipeArgs, type OpusSettings } from './opus-pipe-process.js';
import { pcmFrameMessage } from './opus-pipe-protocol.js';

export interface PcmOpusEncoderOptions {
  readonly settings?: OpusSettings;
  /** Frames written and not yet returned before new ones are dropped; default 5 (100 ms). */
  readonly maxFramesInFlight?: number;
  readonly helperPath?: string;
  readonly backoff?: BackoffPolicy;
  /** Tagged child({ c: 'audio' }): one line per failure and restart; never given audio. */
  readonly logger?: Logger;
}

export interface PcmOpusEncoderStats {
  readonly framesIn: number;
  readonly packets: number;
  readonly framesDropped: number;
  readonly restarts: number;
}

export class PcmOpusEncoder {
  private run: HelperRun | undefined;
  private onPacket: ((p: OpusPacket) => void) | undefined;
  private inFlight = 0;
  private gap = true;
  private readonly restarts: RestartSchedule;
  private running = false;
  private counts = { framesIn: 0, packets: 0, framesDropped: 0, restarts: 0 };

  constructor(private readonly o: PcmOpusEncoderOptions = {}) {
    this.restarts = new RestartSchedule(o.backoff);
  }

  get stats(): PcmOpusEncoderStats {
    return { ...this.counts };
  }

  /** The helper's process id while it runs (tests, the bench's CPU figure). */
  get helperPid(): number | undefined {
    return this.run?.pid;
  }

  /** Starts the helper; packets go to `onPacket` until stop(). Throws if the helper is not built. */
  start(onPacket: (p: OpusPacket) => void): void {
    if (this.running) return;
    this.running = true;
    this.onPacket = onPacket;
    this.spawn();
  }

  encode(frame: PcmFrame): void {
    this.counts.framesIn++;
    if (!this.run?.running || this.inFlight >= Math.max(1, this.o.maxFramesInFlight ?? 5)) {
      this.counts.framesDropped++;
      this.gap = true;
      return;
    }
    this.inFlight++;
    this.run.write(pcmFrameMessage(this.gap && !frame.discontinuity ? { ...frame, discontinuity: true } : frame));
    this.gap = false;
  }

  async stop(): Promise<void> {
    this.running = false;
    this.restarts.cancel();
    const run = this.run;
    this.run = undefined;
    await run?.stop();
  }

  private spawn(): void {
    this.inFlight = 0;
    this.gap = true;
    this.run = new HelperRun(opusPipeArgs('stdin', this.o.settings), {
      onPacket: (p) => {
        this.inFlight = Math.max(0, this.inFlight - 1);
        this.counts.packets++;
        this.onPacket?.({ payload: p.payload, captureTimeMs: p.captureTimeMs, seq: p.seq, discontinuity: p.discontinuity, peak: p.peak });
      },
      onExit: (_end, why, upMs) => {
        this.run = undefined;
        if (!this.running) return;
        const delayMs = this.restarts.after(upMs, () => {
          if (!this.running) return;
          this.counts.restarts++;
          this.spawn();
        });
        (this.o.logger ?? silentLogger).error(`Opus encoder failed: ${why}; restarting in ${delayMs} ms`);
      },
    }, this.o.helperPath);
  }
}
