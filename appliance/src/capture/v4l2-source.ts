/**
 * V4l2Source: the HDMI dongle (or any V4L2 capture node) as a FrameSource.
 *
 * Lifecycle, one async loop: find the device → open → (HDMI bridge: wait for DV timings
 * to lock) → negotiate a mode → map buffers → stream, converting each frame to I420 (raw
 * formats in process; MJPEG through decode/mjpeg-decoding.ts: the board's M2M decoder when
 * it has one (mjpegDecoder), else an ffmpeg child). Any
 * trouble becomes a SourceCondition (logged once per change) and the loop goes back to
 * the start after a short wait, so it recovers by itself within ~retryMs of the device or
 * the signal returning:
 *   open fails / DQBUF ENODEV        → 'no-device' (node polled every retryMs until it is back)
 *   QUERY_DV_TIMINGS ENOLINK/ENOLCK/ERANGE → 'no-signal' / 'no-sync' / 'out-of-range'
 *   no frame for frameTimeoutMs      → 'no-signal' (UVC dongles just stop sending)
 *   anything else                    → 'error' with the reason, retried
 * Zero copy (media/dmabuf-frame.ts): once a ZeroCopyTarget is set (the pipeline's
 * zero-copy-gate.ts), every buffer is exported once per session (VIDIOC_EXPBUF) and a raw
 * frame the target accepts is lent as a DmabufFrame instead of an I420 copy; the
 * buffer goes back to the capture queue only when the receiver calls release(). Anything
 * else (MJPEG, a format or stride the encoder does not take, EXPBUF refused) is copied.
 * The device reappearing is detected by a bounded poll (existsSync + open every retryMs)
 * rather than fs.watch: inotify on devtmpfs misses nodes created before the watch and
 * needs a second code path anyway for "node exists but device not ready yet".
 */
import { existsSync } from 'node:fs';
import type { FrameSink, ZeroCopySource } from './frame-source.js';
import type { SourceCondition } from '../media/source-condition.js';
import { i420Size } from '../media/raw-frame.js';
import { wallClockOf } from '../v4l2/v4l2-timestamp.js';
import { chooseMode, type ChosenMode } from './v4l2-mode.js';
import { toI420, type RawPixFmt } from './v4l2-pixel-convert.js';
import { MjpegDecoding, type JpegDecoder } from '../decode/mjpeg-decoding.js';
import { CaptureDevice, type ActiveFormat, type DvTimings } from '../v4l2/v4l2-capture-device.js';
import { MmapCaptureQueue, type DequeuedBuffer } from '../v4l2/v4l2-buffer-queue.js';
import { errnoOf } from '../v4l2/v4l2-binding.js';
import { dvConditionFromErrno, errnoName, isDeviceGone } from '../v4l2/v4l2-errno.js';
import { findCaptureDevice, type DiscoveryOptions } from '../v4l2/v4l2-discovery.js';
import type { MappedFormat, ZeroCopyTarget } from '../media/dmabuf-frame.js';
import { BufferLoans } from './v4l2-buffer-loans.js';
import { ConditionReporter } from './condition-reporter.js';
import { silentLogger, type Logger } from '../system/logger.js';

export interface V4l2SourceOptions {
  /** A device path, or 'auto': /dev/sonobox/capture, else a scanned UVC capture node. */
  device: string;
  width: number;
  height: number;
  fps: number;
  /** Input to select before streaming (HDMI bridges, vivid); default: leave the current one. */
  input?: number;
  /** Discovery settings for 'auto' (tests accept vivid with drivers: ['vivid']). */
  discovery?: DiscoveryOptions;
  bufferCount?: number; // default 4
  /** No frame for this long while streaming → 'no-signal'. Default 2000 ms. */
  frameTimeoutMs?: number;
  /** Delay between attempts to find, open or lock onto the device. Default 250 ms. */
  retryMs?: number;
  /** One line per condition change and one for the chosen mode (tag it: child({ c: 'capture' })). */
  logger?: Logger;
  /** ffmpeg for software MJPEG decoding; default 'ffmpeg' on PATH. */
  ffmpegPath?: string;
  /**
   * A V4L2 M2M MJPEG decoder node (board-probe's mjpegDecoder: the Pi 4's
   * bcm2835-codec-decode). Unset, or unusable: MJPEG is decoded by an ffmpeg child.
   */
  mjpegDecoder?: string;
  /** Only these capture formats are considered (FourCC text, e.g. ['YU12']); default: all. */
  pixelFormats?: readonly string[];
}

/** Zero-copy bookkeeping (hw-tests check that every loaned buffer came back). */
export interface ZeroCopyStats {
  /** Frames emitted with a dmabuf handle. */
  readonly loaned: number;
  /** Of those, how many were released back to the capture queue. */
  readonly released: number;
  /** Frames copied to I420 while a zero-copy target was set (not accepted, or no export). */
  readonly copied: number;
}

/** How often a streaming HDMI input re-queries its DV timings. */
const DV_CHECK_MS = 500;

/** Why the streaming session ended without an exception: go round the loop again. */
type SessionEnd = 'stopped' | 'renegotiate';

class ConditionError extends Error {
  constructor(
    readonly condition: SourceCondition,
    detail: string,
  ) {
    super(detail);
  }
}

export class V4l2Source implements ZeroCopySource {
  readonly kind = 'v4l2';
  readonly description: string;
  private sink: FrameSink | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly conditions: ConditionReporter;
  private loggedMode = '';
  private seq = 0;
  private zeroCopy: ZeroCopyTarget | undefined;
  private readonly mjpeg: MjpegDecoding;
  private zc = { loaned: 0, released: 0, copied: 0 };
  private readonly o: Required<Omit<V4l2SourceOptions, 'input' | 'discovery' | 'pixelFormats' | 'mjpegDecoder'>> & Pick<V4l2SourceOptions, 'input' | 'discovery' | 'pixelFormats' | 'mjpegDecoder'>;
  private readonly log: Logger;

  constructor(options: V4l2SourceOptions) {
    this.o = { bufferCount: 4, frameTimeoutMs: 2000, retryMs: 250, logger: silentLogger, ffmpegPath: 'ffmpeg', ...options };
    this.log = this.o.logger;
    this.description = `V4L2 capture ${options.device} ${options.width}x${options.height}@${options.fps}`;
    this.mjpeg = new MjpegDecoding({ hardwareDevice: options.mjpegDecoder, ffmpegPath: this.o.ffmpegPath, logger: this.log });
    this.conditions = new ConditionReporter(this.log, conditionLine);
  }

  /** The condition last reported to the sink (undefined before the first). */
  get currentCondition(): SourceCondition | undefined {
    return this.conditions.current;
  }

  /** Set before start(): buffers are exported when a session opens. */
  setZeroCopyTarget(target: ZeroCopyTarget | undefined): void {
    this.zeroCopy = target;
  }

  get zeroCopyStats(): ZeroCopyStats {
    return { ...this.zc };
  }

  start(sink: FrameSink): void {
    if (this.loop) throw new Error('V4l2Source.start() called twice; create a new source instead');
    this.sink = sink;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const path = this.o.device === 'auto' ? findCaptureDevice(this.o.discovery) : this.o.device;
      if (!path || !existsSync(path)) {
        this.setCondition('no-device', path ?? 'no capture device found');
        await this.sleep(this.o.retryMs);
        continue;
      }
      let dev: CaptureDevice;
      try {
        dev = CaptureDevice.open(path);
      } catch (e) {
        // Gone again is 'no-device'; there but refused (EACCES/EPERM: the video group or the
        // unit's DeviceAllow; ENOTTY: not a V4L2 node) is an error that names the node.
        const errno = errnoOf(e) ?? 0;
        if (isDeviceGone(errno)) this.setCondition('no-device', `${path}: ${errnoName(errno)}`);
        else this.setCondition('error', `${path} is there but cannot be opened: ${errnoName(errno)}`);
        await this.sleep(this.o.retryMs);
        continue;
      }
      let failed = false;
      try {
        await this.session(dev);
      } catch (e) {
        failed = true;
        const errno = errnoOf(e);
        if (e instanceof ConditionError) this.setCondition(e.condition, e.message);
        else if (isDeviceGone(errno)) this.setCondition('no-device', `${path}: ${errnoName(errno!)}`);
        else this.setCondition('error', e instanceof Error ? e.message : String(e));
      } finally {
        dev.close(); // before waiting: a vanished device must not stay referenced
      }
      if (failed) await this.sleep(this.conditions.current === 'error' ? this.o.retryMs * 4 : this.o.retryMs);
    }
  }

  /** One open of the device: lock, negotiate, stream until trouble, stop or a format change. */
  private async session(dev: CaptureDevice): Promise<SessionEnd> {
    if (this.o.input !== undefined) dev.setInput(this.o.input);
    const input = dev.enumInputs().find((i) => i.index === dev.getInput());
    let want = { width: this.o.width, height: this.o.height, fps: this.o.fps };
    if (input?.hasDvTimings) {
      const t = this.lockDvTimings(dev);
      want = { width: t.width, height: t.height, fps: t.fps || this.o.fps };
      dev.subscribeSourceChange();
      dev.takeSourceChange(); // drop the change that led here
    }
    const allowed = (f: string): boolean => !this.o.pixelFormats || this.o.pixelFormats.includes(f);
    const mode = chooseMode(dev.enumModes().filter((m) => allowed(m.pixfmt)), dev.enumFormats().filter(allowed), want);
    if (!mode) throw new ConditionError('error', `${dev.path} offers no format sonobox can convert (raw NV12/YUYV/UYVY/YU12 or MJPEG)`);
    const fmt = dev.setFormat(mode.pixfmt, mode.width, mode.height);
    dev.setFps(mode.fps ?? want.fps);
    this.logModeOnce(dev.path, mode, fmt);

    let decoder: JpegDecoder | undefined;
    let decoderFailure: string | undefined;
    if (fmt.pixfmt === 'MJPG') {
      decoder = this.mjpeg.open(fmt.width, fmt.height, (p) => this.deliver(fmt.pixfmt, p.width, p.height, p.data, p.captureTimeMs), (reason) => (decoderFailure = reason));
    }
    // Buffers on loan to the encoder (up to its OUTPUT depth, 3) must not starve capture.
    const zeroCopy = this.zeroCopy !== undefined && !decoder;
    const queue = MmapCaptureQueue.create(dev, zeroCopy ? Math.max(this.o.bufferCount, 6) : this.o.bufferCount);
    const loans = zeroCopy ? BufferLoans.export(queue, () => this.zc.released++, this.log) : undefined;
    try {
      queue.start();
      return await this.stream(dev, queue, fmt, input?.hasDvTimings === true, decoder, () => decoderFailure, loans);
    } finally {
      loans?.endSession(); // late releases (the encoder draining) no longer requeue
      queue.release();
      loans?.closeFds();
      await decoder?.stop();
    }
  }

  private deliver(pixfmt: string, width: number, height: number, data: Buffer, captureTimeMs: number): void {
    this.setCondition('live', `${pixfmt} ${width}x${height}`);
    this.sink?.onFrame({ width, height, data, captureTimeMs, seq: this.seq++ });
  }

  /** Lends buf as a DmabufFrame if the target takes this format; false = copy it instead. */
  private lend(fmt: ActiveFormat, buf: DequeuedBuffer, captureTimeMs: number, loans: BufferLoans): boolean {
    const format: MappedFormat = { fourcc: fmt.pixfmt, width: fmt.width, height: fmt.height, bytesperline: fmt.bytesperline, sizeimage: fmt.sizeimage };
    if (!loans.canLend(buf.index) || !this.zeroCopy?.accepts(format)) return false;
    this.setCondition('live', `${fmt.pixfmt} ${fmt.width}x${fmt.height}`);
    this.zc.loaned++;
    this.sink?.onFrame(loans.lend(format, buf, this.seq++, captureTimeMs));
    return true;
  }

  /** Applies the DV timings the receiver sees, or throws the ConditionError saying why it cannot. */
  private lockDvTimings(dev: CaptureDevice): DvTimings {
    return this.dvCall(dev, () => dev.setDvTimings());
  }

  private queryDv(dev: CaptureDevice): DvTimings {
    return this.dvCall(dev, () => dev.queryDvTimings());
  }

  private dvCall(dev: CaptureDevice, call: () => DvTimings): DvTimings {
    try {
      return call();
    } catch (e) {
      const errno = errnoOf(e);
      const cond = errno === undefined ? undefined : dvConditionFromErrno(errno);
      if (!cond) throw e;
      throw new ConditionError(cond, `${dev.path}: ${errnoName(errno!)} from VIDIOC_QUERY_DV_TIMINGS`);
    }
  }

  private async stream(
    dev: CaptureDevice,
    queue: MmapCaptureQueue,
    fmt: ActiveFormat,
    dv: boolean,
    decoder: JpegDecoder | undefined,
    decoderFailure: () => string | undefined,
    loans: BufferLoans | undefined,
  ): Promise<SessionEnd> {
    const pixfmt = fmt.pixfmt as RawPixFmt;
    const size = i420Size(fmt.width, fmt.height);
    let lastFrameAt = performance.now();
    let lastDvCheck = performance.now();
    while (!this.stopping) {
      const buf = await queue.dequeue(200);
      if (this.stopping) {
        if (buf) queue.requeue(buf.index);
        break;
      }
      // HDMI bridges: the SOURCE_CHANGE event says the signal changed, but not every driver
      // sends it (vivid does not when the signal mode changes), so also re-query the timings
      // every dvCheckMs. Losing the signal throws a ConditionError; a new size renegotiates.
      if (dv && (dev.takeSourceChange() || performance.now() - lastDvCheck > DV_CHECK_MS)) {
        lastDvCheck = performance.now();
        let t;
        try {
          t = this.queryDv(dev);
        } finally {
          if (buf) queue.requeue(buf.index);
        }
        if (t.width !== fmt.width || t.height !== fmt.height) return 'renegotiate';
        continue;
      }
      if (!buf) {
        if (performance.now() - lastFrameAt > this.o.frameTimeoutMs) {
          this.setCondition('no-signal', `${dev.path}: no frame for ${this.o.frameTimeoutMs} ms`);
        }
        continue;
      }
      lastFrameAt = performance.now();
      const captureTimeMs = wallClockOf(buf.timestampUs, buf.flags);
      if (decoder) {
        decoder.decode(buf.data, captureTimeMs); // copies; frames come back through deliver()
        queue.requeue(buf.index);
        const failure = decoderFailure();
        if (failure) throw new ConditionError('error', failure);
        continue;
      }
      if (loans) {
        if (this.lend(fmt, buf, captureTimeMs, loans)) continue;
        this.zc.copied++;
      }
      let data: Buffer;
      try {
        data = toI420(pixfmt, buf.data, fmt.width, fmt.height, fmt.bytesperline, Buffer.allocUnsafe(size));
      } catch (e) {
        queue.requeue(buf.index);
        this.setCondition('error', e instanceof Error ? e.message : String(e));
        continue;
      }
      queue.requeue(buf.index);
      this.deliver(fmt.pixfmt, fmt.width, fmt.height, data, captureTimeMs);
    }
    return 'stopped';
  }

  private logModeOnce(path: string, mode: ChosenMode, fmt: ActiveFormat): void {
    const line = `Capture ${path}: ${mode.why}; driver applied ${fmt.pixfmt} ${fmt.width}x${fmt.height}`;
    if (line === this.loggedMode) return;
    this.loggedMode = line;
    this.log.info(line);
  }

  private setCondition(c: SourceCondition, detail: string): void {
    this.conditions.report(this.sink, c, detail);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** One log line per condition, saying what to do about it. Never contains picture content. */
export function conditionLine(c: SourceCondition, detail = ''): string {
  switch (c) {
    case 'live':
      return `Capture live (${detail})`;
    case 'no-device':
      return `Capture device missing or disappeared (${detail}); waiting for it to return — check the USB dongle`;
    case 'no-signal':
      return `Capture has no signal (${detail}); sending the slate — check the HDMI cable and that the scanner is on`;
    case 'no-sync':
      return `Capture signal is unstable, no sync (${detail}); sending the slate — check the HDMI cable`;
    case 'out-of-range':
      return `Capture signal is out of range (${detail}); sending the slate — set the scanner's video output to 1080p or 720p`;
    case 'error':
      return `Capture error (${detail}); retrying`;
  }
}
