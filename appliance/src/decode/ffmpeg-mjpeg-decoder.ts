/**
 * FfmpegMjpegDecoder: software MJPEG → I420 for dongles that only offer MJPEG at the wanted size and rate (USB 2
 * dongles such as the MS2109 at 1080p30). One long-lived ffmpeg child: JPEG frames in on
 * stdin (ffmpeg's mjpeg demuxer splits them at SOI/EOI markers), tightly packed yuv420p out
 * on stdout, exactly i420Size(w, h) bytes per frame, in order. Frames are matched to their
 * capture times FIFO.
 *
 * Latency: ffmpeg's mjpeg demuxer holds a JPEG until more input arrives (measured with
 * ffmpeg 5.1 at 2 fps: frame N comes out when frame N+1 goes in, whatever -threads,
 * -probesize, -fflags nobuffer, or the mpjpeg demuxer with Content-Length), so this path
 * adds at least one frame interval (33 ms at 30 fps); the held frames come out on stop().
 * A hardware (M2M) or in-process decoder would remove that. ffmpeg emits nothing to the log about picture content (-loglevel
 * error), and nothing is written to disk.
 *
 * Boards with a V4L2 M2M JPEG decoder (Pi 4 bcm2835-codec-decode) use that instead
 * (v4l2-m2m-decoder.ts; mjpeg-decoding.ts chooses); this is the fallback.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { i420Size } from '../media/raw-frame.js';

export interface DecodedFrame {
  data: Buffer;
  /** What decode() was given with this frame (e.g. its capture time). */
  tag: number;
}

/** Frames allowed inside ffmpeg at once; more are dropped (newest picture wins) and counted. */
const MAX_IN_FLIGHT = 3;

export class FfmpegMjpegDecoder {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private readonly frameBytes: number;
  private readonly tags: number[] = [];
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private exited = false;
  /** Frames dropped because ffmpeg was MAX_IN_FLIGHT behind. */
  dropped = 0;

  constructor(
    readonly width: number,
    readonly height: number,
    onFrame: (f: DecodedFrame) => void,
    onExit: (reason: string) => void,
    ffmpegPath = 'ffmpeg',
  ) {
    this.frameBytes = i420Size(width, height);
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-f', 'mjpeg', '-i', 'pipe:0'];
    // Scale only if the JPEGs are not already the negotiated size (some dongles pad to 1088).
    args.push('-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1');
    this.child = spawn(ffmpegPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-400)));
    this.child.stdin.on('error', () => {}); // EPIPE after exit: reported through 'exit'
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      while (this.pendingBytes >= this.frameBytes) {
        const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
        const data = Buffer.from(all.subarray(0, this.frameBytes));
        const rest = all.subarray(this.frameBytes);
        this.pending = rest.length ? [rest] : [];
        this.pendingBytes = rest.length;
        onFrame({ data, tag: this.tags.shift() ?? 0 });
      }
    });
    this.child.on('error', (e) => {
      this.exited = true;
      onExit(`cannot run ${ffmpegPath} to decode MJPEG (${e.message}); install ffmpeg`);
    });
    this.child.on('exit', (code, signal) => {
      if (this.exited) return;
      this.exited = true;
      onExit(`MJPEG decoder (ffmpeg) exited with ${signal ?? code}${stderr ? `: ${stderr.trim()}` : ''}`);
    });
  }

  /** Queues one JPEG (copied; the caller may requeue its buffer at once). False if dropped. */
  decode(jpeg: Buffer, tag: number): boolean {
    if (this.exited) return false;
    if (this.tags.length >= MAX_IN_FLIGHT) {
      this.dropped++;
      return false;
    }
    this.tags.push(tag);
    this.child.stdin.write(Buffer.from(jpeg));
    return true;
  }

  /** Ends ffmpeg; resolves when it has exited. */
  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('close', () => resolve()); // after stdout is drained: the last frame is delivered
      this.exited = true;
      this.child.stdin.end();
      setTimeout(() => this.child.kill('SIGKILL'), 1000).unref();
    });
  }
}
