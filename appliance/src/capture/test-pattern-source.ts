/**
 * TestPatternSource: the synthetic picture source (kind 'test-pattern'), used when no
 * capture device is present and by every latency test.
 *
 * Buffers: every frame is a fresh Buffer (renderTestPattern copies the pre-rendered
 * background into a new allocation), so a frame is never mutated after onFrame — an
 * encoder or mask may hold it as long as it likes. At 720p that is ~1.4 MB per frame,
 * which V8 frees as external memory; measured cost is in the report / test output.
 * Pacing: absolute schedule (frame-schedule.ts); ticks missed during a stall are skipped.
 */
import { captureClockMs } from '../media/raw-frame.js';
import type { FrameSink, FrameSource } from './frame-source.js';
import { scheduleStep } from './frame-schedule.js';
import { prepareTestPattern, renderTestPattern, type TestPatternLayout } from './test-pattern.js';

export interface TestPatternOptions {
  /** Picture size and rate: the config's `source` slice. Width and height even. */
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Fill part of the picture with fresh noise every frame (ultrasound-like bitrate). */
  readonly speckle?: boolean;
}

export class TestPatternSource implements FrameSource {
  readonly kind = 'test-pattern';
  readonly description: string;
  private readonly layout: TestPatternLayout;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private seq = 0;
  private skipped = 0;

  constructor(options: TestPatternOptions = { width: 1280, height: 720, fps: 30 }) {
    const { width, height, fps } = options;
    if (width % 2 || height % 2 || width < 16 || height < 16) throw new Error(`test pattern size must be even and at least 16x16 (got ${width}x${height})`);
    if (!(fps > 0 && fps <= 240)) throw new Error(`test pattern fps must be between 0 and 240 (got ${fps})`);
    this.description = `test pattern ${width}x${height}@${fps}`;
    this.layout = prepareTestPattern(width, height, fps, options.speckle ?? false);
  }

  /** Ticks skipped so far because the process woke late. */
  get skippedTicks(): number {
    return this.skipped;
  }

  start(sink: FrameSink): void {
    if (this.running) return;
    this.running = true;
    sink.onCondition('live');
    const interval = 1000 / this.layout.fps;
    const startMs = performance.now();
    let lastTick = -1;
    const wake = (): void => {
      if (!this.running) return;
      const step = scheduleStep(startMs, interval, performance.now(), lastTick);
      if (step.emit) {
        lastTick = step.tick;
        this.skipped += step.skipped;
        const captureTimeMs = captureClockMs();
        const seq = this.seq++;
        const { width, height } = this.layout;
        sink.onFrame({ width, height, seq, captureTimeMs, data: renderTestPattern(this.layout, seq, captureTimeMs) });
      }
      // Re-read the clock: onFrame may have taken a while.
      if (this.running) this.timer = setTimeout(wake, scheduleStep(startMs, interval, performance.now(), lastTick).delayMs);
    };
    wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
