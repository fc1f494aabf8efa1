/**
 * FileSource (kind 'file'): a video file looped for ever through Debian's ffmpeg, as a
 * stand-in for a scanner in demos and tests. ffmpeg decodes, scales to the configured
 * size and rate, and paces at real time (-re); we split its raw I420 output into frames
 * (frame-splitter.ts; captureTimeMs = arrival of the frame's last byte).
 * If ffmpeg dies, condition 'error' and a restart with back-off (250 ms doubling to 8 s).
 * Nothing from the file's content is ever logged: ffmpeg runs at -loglevel error and
 * only its last error line is kept, for the condition detail.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { defaultBackoff, initialBackoffState, onFailure, type BackoffPolicy, type BackoffState } from '../system/restart-backoff.js';
import type { FrameSink, FrameSource } from './frame-source.js';
import type { SourceCondition } from '../media/source-condition.js';
import { silentLogger, type Logger } from '../system/logger.js';
import { ConditionReporter, plainConditionLine } from './condition-reporter.js';
import { exitReason, stopChild } from '../system/child-process.js';
import { FrameSplitter } from './frame-splitter.js';
import { captureClockMs, i420Size } from '../media/raw-frame.js';

export interface FileSourceOptions {
  readonly path: string;
  /** Output size and rate: the config's `source` slice. */
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Default 'ffmpeg' from PATH (Debian package ffmpeg). */
  readonly ffmpegPath?: string;
  readonly backoff?: BackoffPolicy;
  /** One line per condition change (tag it: child({ c: 'capture' })). */
  readonly logger?: Logger;
}

/** The ffmpeg arguments that loop, scale, pace and emit raw I420 on stdout. */
export function ffmpegLoopArgs(o: FileSourceOptions): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-re', '-stream_loop', '-1', '-i', o.path,
    '-an', '-sn', '-dn',
    '-vf', `scale=${o.width}:${o.height},fps=${o.fps}`,
    '-pix_fmt', 'yuv420p', '-f', 'rawvideo', 'pipe:1',
  ];
}

export class FileSource implements FrameSource {
  readonly kind = 'file';
  readonly description: string;
  private readonly policy: BackoffPolicy;
  private child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoff: BackoffState = initialBackoffState;
  private readonly conditions: ConditionReporter;
  private seq = 0;
  private running = false;

  constructor(private readonly options: FileSourceOptions) {
    const { path, width, height, fps } = options;
    if (width % 2 || height % 2) throw new Error(`file source size must be even (got ${width}x${height})`);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      throw new Error(`video file not found: ${path}; give --source an existing file, 'test-pattern' or '-'`);
    }
    if (!isFile) throw new Error(`not a regular file: ${path}; give --source a video file`);
    this.description = `looped file ${width}x${height}@${fps}`;
    this.conditions = new ConditionReporter(options.logger ?? silentLogger, plainConditionLine(this.description));
    this.policy = options.backoff ?? defaultBackoff;
  }

  /** ffmpeg's process id while it runs (tests and diagnostics). */
  get ffmpegPid(): number | undefined {
    return this.child?.pid;
  }

  start(sink: FrameSink): void {
    if (this.running) return;
    this.running = true;
    this.spawnFfmpeg(sink);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.child;
    this.child = undefined;
    if (child) await stopChild(child);
  }

  private setCondition(sink: FrameSink, c: SourceCondition, detail?: string): void {
    this.conditions.report(sink, c, detail);
  }

  private spawnFfmpeg(sink: FrameSink): void {
    const { width, height } = this.options;
    const splitter = new FrameSplitter(i420Size(width, height));
    const child = spawn(this.options.ffmpegPath ?? 'ffmpeg', ffmpegLoopArgs(this.options), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const startedAt = Date.now();
    let framesThisRun = 0;
    const reason = exitReason(child, 'ffmpeg not found: apt-get install ffmpeg');
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      const now = captureClockMs();
      for (const f of splitter.push(chunk, now)) {
        framesThisRun++;
        this.setCondition(sink, 'live');
        sink.onFrame({ width, height, data: f.data, captureTimeMs: f.completedAtMs, seq: this.seq++ });
      }
    });
    child.on('close', (code, signal) => {
      if (this.child !== child || !this.running) return;
      this.child = undefined;
      const why = reason(code, signal);
      const { delayMs, state } = onFailure(this.policy, this.backoff, Date.now() - startedAt);
      this.backoff = state;
      const what = framesThisRun === 0 ? `cannot decode video file ${this.options.path}` : 'ffmpeg stopped';
      this.setCondition(sink, 'error', `${what}: ${why}; retrying in ${delayMs} ms`);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.running) this.spawnFfmpeg(sink);
      }, delayMs);
    });
  }
}
