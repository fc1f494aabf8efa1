/**
 * StdinSource (kind 'stdin'): raw I420 pictures of a configured size, back to back, from
 * a Readable — process.stdin in production (`--source -`), e.g.
 *   ffmpeg -i in.mp4 -pix_fmt yuv420p -s 1280x720 -f rawvideo - | npm start -- --source -
 * captureTimeMs is the arrival time of the frame's last byte. End of input → condition
 * 'no-signal' (the pipeline shows the slate). Frames are fresh Buffers (frame-splitter.ts).
 */
import type { Readable } from 'node:stream';
import type { FrameSink, FrameSource } from './frame-source.js';
import type { SourceCondition } from '../media/source-condition.js';
import { silentLogger, type Logger } from '../system/logger.js';
import { ConditionReporter, plainConditionLine } from './condition-reporter.js';
import { FrameSplitter } from './frame-splitter.js';
import { captureClockMs, i420Size } from '../media/raw-frame.js';

export interface StdinSourceOptions {
  readonly width: number;
  readonly height: number;
  /** Nominal rate, for the description only: the writer sets the pace. */
  readonly fps: number;
  /** One line per condition change (tag it: child({ c: 'capture' })). */
  readonly logger?: Logger;
}

export class StdinSource implements FrameSource {
  readonly kind = 'stdin';
  readonly description: string;
  private readonly splitter: FrameSplitter;
  private readonly conditions: ConditionReporter;
  private seq = 0;
  private detach: (() => void) | undefined;

  constructor(private readonly options: StdinSourceOptions, private readonly input: Readable = process.stdin) {
    if (options.width % 2 || options.height % 2) throw new Error(`raw I420 input needs an even size (got ${options.width}x${options.height})`);
    this.description = `raw I420 ${options.width}x${options.height} on standard input`;
    this.conditions = new ConditionReporter(options.logger ?? silentLogger, plainConditionLine(this.description));
    this.splitter = new FrameSplitter(i420Size(options.width, options.height));
  }

  start(sink: FrameSink): void {
    if (this.detach) return;
    const { width, height } = this.options;
    const set = (c: SourceCondition, detail?: string): void => this.conditions.report(sink, c, detail);
    const onData = (chunk: Buffer): void => {
      const now = captureClockMs();
      for (const f of this.splitter.push(chunk, now)) {
        set('live');
        sink.onFrame({ width, height, data: f.data, captureTimeMs: f.completedAtMs, seq: this.seq++ });
      }
    };
    const onEnd = (): void => {
      const partial = this.splitter.reset();
      set('no-signal', `standard input ended${partial ? ` (${partial} bytes of an incomplete frame dropped)` : ''}`);
    };
    const onError = (e: Error): void => set('error', `standard input failed: ${e.message}`);
    this.input.on('data', onData);
    this.input.on('end', onEnd);
    this.input.on('error', onError);
    this.detach = () => {
      this.input.off('data', onData);
      this.input.off('end', onEnd);
      this.input.off('error', onError);
      this.input.pause();
    };
  }

  async stop(): Promise<void> {
    this.detach?.();
  }
}
