/**
 * FileAudioSource (kind 'file'): the looped clip's audio track (issue 12), decoded by
 * Debian's ffmpeg to 48 kHz mono S16 and paced at real time (-re), like the picture of
 * capture/file-source.ts. ffmpeg writes decoded audio in bursts (one codec frame at a
 * time), so a 20 ms frame's capture time is its arrival, minus its length, steadied
 * (capture-time-smoother.ts) to the samples' own even spacing. A clip with no audio track
 * is 'no-device' ("the clip has no audio track") and is not retried; ffmpeg dying is
 * 'error' and a restart with back-off. Nothing from the file is ever logged.
 */
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { FrameSplitter } from '../capture/frame-splitter.js';
import { captureClockMs } from '../media/raw-frame.js';
import { exitReason, stopChild } from '../system/child-process.js';
import type { BackoffPolicy } from '../system/restart-backoff.js';
import { RestartSchedule } from '../system/restart-schedule.js';
import { AUDIO_FRAME_MS, AUDIO_FRAME_SAMPLES, type PcmSink, type PcmSource } from './audio-frame.js';
import { CaptureTimeSmoother } from './capture-time-smoother.js';

export interface FileAudioSourceOptions {
  readonly path: string;
  /** Default 'ffmpeg' / 'ffprobe' from PATH. */
  readonly ffmpegPath?: string;
  readonly ffprobePath?: string;
  readonly backoff?: BackoffPolicy;
}

/** The ffmpeg arguments that loop the file's first audio track as real-time 48 kHz mono S16LE on stdout. */
export function ffmpegAudioArgs(path: string): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-re', '-stream_loop', '-1', '-i', path,
    '-map', '0:a:0', '-vn', '-sn', '-dn',
    '-ac', '1', '-ar', '48000', '-f', 's16le', 'pipe:1',
  ];
}

/** True when ffprobe finds an audio stream in the file (false also when ffprobe cannot read it). */
export function fileHasAudio(path: string, ffprobePath = 'ffprobe'): Promise<boolean> {
  const args = ['-v', 'error', '-select_streams', 'a', '-show_entries', 'stream=index', '-of', 'csv=p=0', path];
  return new Promise((resolve) => {
    execFile(ffprobePath, args, { encoding: 'utf8', timeout: 10_000 }, (error, stdout) => resolve(!error && stdout.trim().length > 0));
  });
}

export class FileAudioSource implements PcmSource {
  readonly kind = 'file';
  readonly description = 'looped file audio 48 kHz mono';
  private child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  private readonly restarts: RestartSchedule;
  private running = false;
  private seq = 0;

  constructor(private readonly o: FileAudioSourceOptions) {
    this.restarts = new RestartSchedule(o.backoff);
  }

  start(sink: PcmSink): void {
    if (this.running) return;
    this.running = true;
    void fileHasAudio(this.o.path, this.o.ffprobePath).then((has) => {
      if (!this.running) return;
      if (has) this.spawnFfmpeg(sink);
      else sink.onCondition('no-device', 'the clip has no audio track');
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.restarts.cancel();
    const child = this.child;
    this.child = undefined;
    if (child) await stopChild(child);
  }

  private spawnFfmpeg(sink: PcmSink): void {
    const splitter = new FrameSplitter(AUDIO_FRAME_SAMPLES * 2);
    const smoother = new CaptureTimeSmoother({ frameMs: AUDIO_FRAME_MS, maxStepMs: 80 });
    const child = spawn(this.o.ffmpegPath ?? 'ffmpeg', ffmpegAudioArgs(this.o.path), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const startedAt = Date.now();
    const reason = exitReason(child, 'ffmpeg not found: apt-get install ffmpeg');
    let first = true;
    child.stdout.on('data', (chunk: Buffer) => {
      if (this.child !== child) return;
      for (const f of splitter.push(chunk, captureClockMs())) {
        const captureTimeMs = smoother.next(f.completedAtMs - AUDIO_FRAME_MS, first);
        sink.onFrame({ channels: 1, data: f.data, captureTimeMs, seq: this.seq++, discontinuity: first });
        first = false;
      }
    });
    child.on('close', (code, signal) => {
      if (this.child !== child || !this.running) return;
      this.child = undefined;
      const why = reason(code, signal);
      const delayMs = this.restarts.after(Date.now() - startedAt, () => {
        if (this.running) this.spawnFfmpeg(sink);
      });
      sink.onCondition('error', `ffmpeg stopped decoding the clip's audio: ${why}; retrying in ${delayMs} ms`);
    });
  }
}
