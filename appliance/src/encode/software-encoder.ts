/**
 * SoftwareEncoder: libx264 in a supervised child process (appliance/native/x264-pipe).
 *
 * Contracts:
 * - encode() never blocks and never queues unboundedly: at most maxFramesInFlight frames
 *   are written to the helper and not yet returned; further frames are dropped and counted.
 * - One frame in gives exactly one AccessUnit out, in order, seq and captureTimeMs copied.
 * - requestKeyframe() makes the next frame written an IDR (SPS + PPS + IDR slice).
 * - The helper dying unexpectedly → state 'restarting', restart with back-off
 *   (system/restart-backoff.ts), then 'running'; the first unit after a restart is an IDR.
 * - A frame of a different size restarts the helper with the new size (no state change).
 * - The frame's Buffer is handed to the pipe: the source must not mutate it afterwards.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { RawFrame } from '../media/raw-frame.js';
import { i420Size } from '../media/raw-frame.js';
import { defaultBackoff, initialBackoffState, onFailure, type BackoffPolicy, type BackoffState } from '../system/restart-backoff.js';
import type { EncoderSettings, EncoderState } from '../media/encoder-settings.js';
import { silentLogger, type Logger } from '../system/logger.js';
import { encoderStateLevel, type EncoderSink, type H264Encoder } from './h264-encoder.js';
import { AccessUnitReader, frameHeader } from './software-encoder-protocol.js';

/** Where `npm run build:native` puts the helper, resolved from this file, not the cwd. */
export const x264PipePath: string = fileURLToPath(new URL('../../native/x264-pipe', import.meta.url));

export interface SoftwareEncoderOptions {
  readonly settings: EncoderSettings;
  /** x264 speed preset; 'superfast' by default (see the measurements in the report). */
  readonly preset?: string;
  /** x264 slice threads; default 2 (the box has few cores). */
  readonly threads?: number;
  /** Frames written to the helper and not yet returned before new ones are dropped; default 1. */
  readonly maxFramesInFlight?: number;
  /** VBV buffer size in whole frame-times of the bitrate; default 2 (CBR-ish, low latency). */
  readonly vbvFrames?: number;
  /** Override of the helper path (tests). */
  readonly helperPath?: string;
  readonly backoff?: BackoffPolicy;
  /** One line per state change or failure (tag it: child({ c: 'encoder' })); never given frame content. */
  readonly logger?: Logger;
}

export interface SoftwareEncoderStats {
  readonly framesIn: number;
  readonly accessUnits: number;
  readonly framesDropped: number;
  readonly restarts: number;
}

type Child = ChildProcessByStdio<Writable, Readable, Readable>;

export class SoftwareEncoder implements H264Encoder {
  readonly name = 'x264';
  private settings: EncoderSettings;
  private readonly helperPath: string;
  private readonly maxInFlight: number;
  private readonly policy: BackoffPolicy;
  private readonly log: Logger;
  private sink: EncoderSink | undefined;
  private child: Child | undefined;
  private childStartedAt = 0;
  private reader = new AccessUnitReader();
  private inFlight = 0;
  private idrPending = true;
  private state: EncoderState = 'stopped';
  private backoff: BackoffState = initialBackoffState;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastError = '';
  private counts = { framesIn: 0, accessUnits: 0, framesDropped: 0, restarts: 0 };

  constructor(private readonly options: SoftwareEncoderOptions) {
    this.settings = options.settings;
    this.helperPath = options.helperPath ?? x264PipePath;
    this.maxInFlight = Math.max(1, options.maxFramesInFlight ?? 1);
    this.policy = options.backoff ?? defaultBackoff;
    this.log = options.logger ?? silentLogger;
  }

  get stats(): SoftwareEncoderStats {
    return { ...this.counts };
  }

  /** The helper's process id while one runs (for tests and diagnostics). */
  get helperPid(): number | undefined {
    return this.child?.pid;
  }

  start(sink: EncoderSink): void {
    if (!existsSync(this.helperPath)) {
      throw new Error(`x264 helper not found at ${this.helperPath}: run \`npm run build:native\` (needs libx264-dev, pkg-config, gcc, make)`);
    }
    this.sink = sink;
    this.spawnHelper();
    this.setState('running');
  }

  encode(frame: RawFrame): void {
    this.counts.framesIn++;
    if (this.state !== 'running') return this.drop();
    if (frame.width !== this.settings.width || frame.height !== this.settings.height) {
      this.settings = { ...this.settings, width: frame.width, height: frame.height };
      this.log.info(`x264: picture size is now ${frame.width}x${frame.height}; restarting the encoder`);
      this.killHelper();
      this.spawnHelper();
    }
    const child = this.child;
    if (!child || this.inFlight >= this.maxInFlight) return this.drop();
    if (frame.data.length !== i420Size(frame.width, frame.height)) {
      throw new Error(`RawFrame ${frame.seq} has ${frame.data.length} bytes, expected ${i420Size(frame.width, frame.height)} for I420 ${frame.width}x${frame.height}`);
    }
    const forceIdr = this.idrPending;
    this.idrPending = false;
    this.inFlight++;
    child.stdin.cork();
    child.stdin.write(frameHeader({ width: frame.width, height: frame.height, seq: frame.seq, captureTimeMs: frame.captureTimeMs, forceIdr }));
    child.stdin.write(frame.data);
    child.stdin.uncork();
  }

  requestKeyframe(): void {
    this.idrPending = true;
  }

  async stop(): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    this.child = undefined;
    if (this.state !== 'stopped') this.setState('stopped');
    if (!child) return;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill('SIGKILL'), 2_000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.stdin.end();
    });
  }

  private drop(): void {
    this.counts.framesDropped++;
  }

  private setState(state: EncoderState, detail?: string): void {
    this.state = state;
    this.log[encoderStateLevel(state)](`x264: ${state}${detail ? ` (${detail})` : ''}`);
    this.sink?.onState(state, detail);
  }

  private spawnHelper(): void {
    const s = this.settings;
    const args = [
      '--width', String(s.width), '--height', String(s.height), '--fps', String(s.fps),
      '--bitrate', String(s.bitrateBps), '--keyint', String(Math.max(1, Math.round(s.keyframeInterval))),
      '--preset', this.options.preset ?? 'superfast', '--threads', String(this.options.threads ?? 2),
      '--vbv-frames', String(Math.max(1, Math.round(this.options.vbvFrames ?? 2))),
    ];
    const child = spawn(this.helperPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.childStartedAt = Date.now();
    this.reader = new AccessUnitReader();
    this.inFlight = 0;
    this.idrPending = true;
    this.lastError = '';
    child.stdin.on('error', () => {}); // EPIPE when it dies; the exit handler deals with it
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      const line = text.trim().split('\n').pop();
      if (line) this.lastError = line;
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      let units;
      try {
        units = this.reader.push(chunk);
      } catch (e) {
        this.lastError = (e as Error).message;
        child.kill('SIGKILL');
        return;
      }
      for (const au of units) {
        this.inFlight = Math.max(0, this.inFlight - 1);
        if (au.nalus.length === 0) {
          this.drop();
          continue;
        }
        this.counts.accessUnits++;
        this.sink?.onAccessUnit(au);
      }
    });
    child.on('error', (e) => {
      this.lastError = e.message;
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return; // stopped or replaced on purpose
      this.child = undefined;
      const why = this.lastError || (signal ? `killed by ${signal}` : `exited with status ${code}`);
      const { delayMs, state } = onFailure(this.policy, this.backoff, Date.now() - this.childStartedAt);
      this.backoff = state;
      this.setState('restarting', `x264 helper failed: ${why}; restarting in ${delayMs} ms`);
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.counts.restarts++;
        this.spawnHelper();
        this.setState('running');
      }, delayMs);
    });
  }

  private killHelper(): void {
    const child = this.child;
    this.child = undefined;
    child?.stdin.end();
    child?.kill('SIGKILL');
  }
}
