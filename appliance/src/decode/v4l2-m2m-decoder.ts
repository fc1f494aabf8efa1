/**
 * V4l2M2mDecoder: a stateful V4L2 memory-to-memory decoder (Pi 4 bcm2835-codec-decode for
 * MJPEG; vicodec's FWHT decoder in the emulated hw-tests) turning coded frames into
 * RawFrames, following the kernel's "Memory-to-Memory Stateful Video Decoder Interface"
 * (dev-decoder.rst):
 *   Initialization: S_FMT OUTPUT (coded) → REQBUFS/mmap OUTPUT → SUBSCRIBE_EVENT
 *     SOURCE_CHANGE → STREAMON OUTPUT → QBUF coded data until the driver has parsed the
 *     stream header and raises V4L2_EVENT_SOURCE_CHANGE.
 *   Capture setup: G_FMT CAPTURE (the decoded size) → S_FMT CAPTURE to a raw format we read
 *     (YU12, YM12, NV12, NM12) → REQBUFS (≥ V4L2_CID_MIN_BUFFERS_FOR_CAPTURE) → mmap → QBUF
 *     all → STREAMON CAPTURE.
 *   Decoding: QBUF OUTPUT / DQBUF CAPTURE; the OUTPUT timestamp is copied to the CAPTURE
 *     buffer it decodes into, which is how a picture finds its seq and capture time.
 *   Dynamic resolution change: a later SOURCE_CHANGE → DQBUF CAPTURE until LAST →
 *     STREAMOFF/REQBUFS 0 CAPTURE → capture setup again.
 *   Drain: DECODER_CMD V4L2_DEC_CMD_STOP → DQBUF CAPTURE until V4L2_BUF_FLAG_LAST (then
 *     EPIPE) → STREAMOFF both.
 * Contracts: decode() never blocks (no free OUTPUT buffer = the frame is dropped and
 * counted; at most outputBuffers frames are inside the decoder). Frames come out through
 * onFrame as tightly packed I420 copies (the CAPTURE buffer is requeued at once). Any
 * device error ends the decoder: onError(reason) once, then nothing; the owner reopens.
 */
import type { RawFrame } from '../media/raw-frame.js';
import { silentLogger, type Logger } from '../system/logger.js';
import { closeQuietly, M2mDevice, type BufferInfo, type MappedBuffer, type PixFormat } from '../v4l2/m2m-device.js';
import { ctrl, V4l2CallError, vd } from '../v4l2/v4l2-binding.js';
import { Errno } from '../v4l2/v4l2-errno.js';
import { PixFmt, fourccText } from '../v4l2/v4l2-fourcc.js';
import { InFlightFrames } from '../v4l2/m2m-timestamps.js';
import { pickRawFormat, rawLayout, readI420, type RawLayout } from '../v4l2/m2m-raw-layout.js';

export type DecoderCodec = 'mjpeg' | 'fwht';

export interface V4l2M2mDecoderOptions {
  /** The decoder node (board-probe's mjpegDecoder, or vicodec's stateful-decoder in tests). */
  readonly device: string;
  readonly codec: DecoderCodec;
  /** The expected picture size: the OUTPUT format's hint and the visible size of frames out. */
  readonly width: number;
  readonly height: number;
  readonly outputBuffers?: number; // default 4
  readonly captureBuffers?: number; // default 4 (or the driver's minimum + 1)
  /** Bytes per OUTPUT (coded) buffer; default width × height × 2 (a JPEG never needs more). */
  readonly codedBufferBytes?: number;
  readonly onFrame: (frame: RawFrame) => void;
  /** Called once when the decoder fails; it is closed by then. */
  readonly onError: (reason: string) => void;
  /** One line per notable step (format found, resolution change, drain); never picture content. */
  readonly logger?: Logger;
}

/** Lifecycle (dev-decoder.rst's states, collapsed): transitions in transition() only. */
export const DecoderState = {
  /** OUTPUT streaming; waiting for the driver to find the stream's format. */
  awaitingFormat: 'awaiting-format',
  decoding: 'decoding',
  /** A resolution change: CAPTURE is drained up to LAST before it is set up again. */
  changingResolution: 'changing-resolution',
  draining: 'draining',
  stopped: 'stopped',
  failed: 'failed',
} as const;
export type DecoderState = (typeof DecoderState)[keyof typeof DecoderState];
export type DecoderEvent = 'source-change' | 'capture-ready' | 'last-buffer' | 'stop' | 'error' | 'closed';

/** Pure: the next state, or the same state when the event does not apply. */
export function transition(s: DecoderState, e: DecoderEvent): DecoderState {
  if (e === 'error') return s === 'stopped' ? s : 'failed';
  if (s === 'stopped' || s === 'failed') return s;
  switch (e) {
    case 'source-change':
      return s === 'decoding' ? 'changing-resolution' : s;
    case 'capture-ready':
      return s === 'awaiting-format' || s === 'changing-resolution' ? 'decoding' : s;
    case 'last-buffer':
      return s === 'changing-resolution' ? 'awaiting-format' : s === 'draining' ? 'stopped' : s;
    case 'stop':
      return 'draining';
    case 'closed':
      return 'stopped';
  }
}

export type DecoderDrain = 'last-flag' | 'epipe' | 'timeout' | 'not-started' | 'unsupported' | 'error';

export interface V4l2M2mDecoderStats {
  readonly framesIn: number;
  readonly framesOut: number;
  readonly dropped: number;
  readonly sourceChanges: number;
  /** e.g. "YU12 640x480" once the CAPTURE queue is set up. */
  readonly captureFormat: string | undefined;
  readonly lastDrain: DecoderDrain | undefined;
  /** Queue-to-dequeue milliseconds of recent frames (up to 300). */
  readonly decodeMs: readonly number[];
}

const now = (): number => performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class V4l2M2mDecoder {
  private state: DecoderState = DecoderState.awaitingFormat;
  private readonly out: MappedBuffer[];
  private readonly freeOut: number[];
  private cap: MappedBuffer[] = [];
  private layout: RawLayout | undefined;
  private visible = { width: 0, height: 0 };
  private readonly inflight = new InFlightFrames();
  private readonly queuedAt = new Map<bigint, number>();
  private readonly log: Logger;
  private counts = { framesIn: 0, framesOut: 0, dropped: 0, sourceChanges: 0 };
  private captureFormat: string | undefined;
  private lastDrain: DecoderDrain | undefined;
  private readonly decodeMs: number[] = [];
  private sawEos = false;
  private readonly loop: Promise<void>;

  private constructor(
    private readonly dev: M2mDevice,
    private readonly o: V4l2M2mDecoderOptions,
  ) {
    this.log = o.logger ?? silentLogger;
    const n = dev.requestBuffers('output', o.outputBuffers ?? 4, 'mmap');
    this.out = dev.mapBuffers('output', n);
    this.freeOut = this.out.map((b) => b.index);
    dev.subscribeEvent(vd.V4L2_EVENT_SOURCE_CHANGE);
    dev.streamOn('output');
    this.loop = this.pump();
  }

  /**
   * Opens the node and starts the OUTPUT side. Throws, saying what to do, when the node is
   * not a decoder of this codec.
   */
  static open(o: V4l2M2mDecoderOptions): V4l2M2mDecoder {
    const dev = M2mDevice.open(o.device);
    try {
      if (!dev.isM2m) throw new Error(`${dev.path} (${dev.caps.driver}) is not a memory-to-memory device; point the decoder at the codec's decode node`);
      const coded = codedFormat(o.codec, dev.enumFormats('output'));
      if (coded === undefined) {
        throw new Error(`${dev.path} (${dev.caps.card}) does not decode ${o.codec.toUpperCase()}; it takes ${dev.enumFormats('output').map(fourccText).join(', ') || 'nothing'}`);
      }
      dev.setFormat('output', { width: o.width, height: o.height, pixelformat: coded, sizeimage: o.codedBufferBytes ?? o.width * o.height * 2 });
      o.logger?.info(`decoder ${dev.caps.card} (${dev.caps.driver}) on ${dev.path}: ${dev.planes}-planar, ${fourccText(coded)} ${o.width}x${o.height}`);
      return new V4l2M2mDecoder(dev, o);
    } catch (e) {
      closeQuietly(dev);
      throw e;
    }
  }

  get currentState(): DecoderState {
    return this.state;
  }

  get driver(): string {
    return this.dev.caps.driver;
  }

  get stats(): V4l2M2mDecoderStats {
    return { ...this.counts, captureFormat: this.captureFormat, lastDrain: this.lastDrain, decodeMs: [...this.decodeMs] };
  }

  /** Queues one coded frame (copied into an OUTPUT buffer). False if dropped. */
  decode(coded: Buffer, captureTimeMs: number, seq = this.counts.framesIn): boolean {
    if (this.state === 'stopped' || this.state === 'failed' || this.state === 'draining') return this.drop();
    try {
      this.reapOutput();
      const index = this.freeOut.shift();
      if (index === undefined) return this.drop();
      const view = this.out[index]!.planes[0]!;
      if (coded.length > view.length) {
        this.freeOut.unshift(index);
        this.log.warn(`decoder: a ${coded.length}-byte frame does not fit the ${view.length}-byte OUTPUT buffer; dropped (raise codedBufferBytes)`);
        return this.drop();
      }
      coded.copy(view);
      const stamp = this.inflight.add({ seq, captureTimeMs });
      this.queuedAt.set(stamp, now());
      this.dev.queue('output', index, { planes: [{ bytesused: coded.length }], timestampUs: stamp });
      this.counts.framesIn++;
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  /** Drains what is inside (DEC_CMD_STOP → LAST), then closes. Safe to call twice. */
  async stop(timeoutMs = 2000): Promise<DecoderDrain> {
    if (this.state === 'stopped' || this.state === 'failed') {
      await this.loop;
      return this.lastDrain ?? 'error';
    }
    const capturing = this.layout !== undefined;
    this.state = transition(this.state, 'stop');
    await this.loop;
    let outcome: DecoderDrain = 'not-started';
    if (capturing) {
      outcome = 'timeout';
      try {
        this.dev.decoderCommand(vd.V4L2_DEC_CMD_STOP);
        const deadline = now() + timeoutMs;
        while (this.state === 'draining' && !this.sawEos && now() < deadline) {
          await this.dev.waitReadable(50);
          this.service();
        }
        if (this.state === 'stopped') outcome = 'last-flag';
        else if (this.sawEos) outcome = 'epipe';
      } catch (e) {
        outcome = e instanceof V4l2CallError && e.errno === Errno.ENOTTY ? 'unsupported' : 'error';
      }
    }
    this.lastDrain = outcome;
    this.state = transition(this.state, 'closed');
    this.close();
    return outcome;
  }

  // ---- the loop -----------------------------------------------------------------------

  private async pump(): Promise<void> {
    while (this.pumping()) {
      // Before CAPTURE streams, poll() on an M2M node reports nothing useful: look for the
      // source-change event every few ms instead.
      if (this.layout) await this.dev.waitReadable(50);
      else await sleep(5);
      if (!this.pumping()) return;
      try {
        this.service();
      } catch (e) {
        this.fail(e);
        return;
      }
    }
  }

  /** The loop runs while decoding; stop() services the drain itself. */
  private pumping(): boolean {
    return this.state === 'awaiting-format' || this.state === 'decoding' || this.state === 'changing-resolution';
  }

  private service(): void {
    for (let ev = this.dev.dequeueEvent(); ev; ev = this.dev.dequeueEvent()) {
      if (ev.type === vd.V4L2_EVENT_SOURCE_CHANGE && ev.changes & vd.V4L2_EVENT_SRC_CH_RESOLUTION) {
        this.counts.sourceChanges++;
        if (this.state === 'awaiting-format') this.setupCapture();
        else this.state = transition(this.state, 'source-change'); // drain CAPTURE to LAST first
      }
    }
    if (this.layout) {
      if (this.dev.dequeueEach('capture', (b) => this.onCaptureBuffer(b))) this.sawEos = true;
    }
    this.reapOutput();
  }

  /** Returns true when the buffer carried LAST (no more CAPTURE buffers until set up again). */
  private onCaptureBuffer(b: BufferInfo): boolean {
    const last = (b.flags & vd.V4L2_BUF_FLAG_LAST) !== 0;
    const p = b.planes[0];
    if (p && p.bytesused > 0 && !(b.flags & vd.V4L2_BUF_FLAG_ERROR) && this.layout) {
      const meta = this.inflight.take(b.timestampUs);
      const queuedAt = this.queuedAt.get(b.timestampUs);
      this.queuedAt.delete(b.timestampUs);
      if (meta) {
        const views = this.cap[b.index]!.planes;
        const data = readI420(views, this.visible.width, this.visible.height, this.layout);
        this.counts.framesOut++;
        if (queuedAt !== undefined) {
          this.decodeMs.push(now() - queuedAt);
          if (this.decodeMs.length > 300) this.decodeMs.shift();
        }
        this.o.onFrame({ width: this.visible.width, height: this.visible.height, data, seq: meta.seq, captureTimeMs: meta.captureTimeMs });
      }
    }
    if (!last) {
      this.dev.queue('capture', b.index);
      return false;
    }
    if (this.state === 'changing-resolution') {
      this.state = transition(this.state, 'last-buffer');
      this.setupCapture();
    } else {
      this.state = transition(this.state, 'last-buffer');
    }
    return true;
  }

  /** dev-decoder.rst "Capture Setup" (also after a resolution change). */
  private setupCapture(): void {
    if (this.layout) {
      this.dev.streamOff('capture');
      this.dev.requestBuffers('capture', 0, 'mmap');
      this.layout = undefined;
      this.cap = [];
    }
    const found = this.dev.getFormat('capture');
    const raw = pickRawFormat(this.dev.enumFormats('capture'));
    if (raw === undefined) throw new Error(`${this.dev.path} decodes to no raw format sonobox can read (needs YU12, YM12, NV12 or NM12)`);
    const fmt: PixFormat = this.dev.setFormat('capture', { width: found.width, height: found.height, pixelformat: raw });
    this.visible = visibleSize(fmt, this.o);
    this.layout = rawLayout({ ...fmt, width: this.visible.width, height: this.visible.height });
    let min = 0;
    try {
      min = this.dev.getControl(ctrl.V4L2_CID_MIN_BUFFERS_FOR_CAPTURE);
    } catch {
      /* optional control */
    }
    const n = this.dev.requestBuffers('capture', Math.max(this.o.captureBuffers ?? 4, min + 1), 'mmap');
    this.cap = this.dev.mapBuffers('capture', n);
    for (const b of this.cap) this.dev.queue('capture', b.index);
    this.dev.streamOn('capture');
    this.captureFormat = `${fourccText(fmt.pixelformat)} ${fmt.width}x${fmt.height}`;
    this.log.info(`decoder ${this.dev.caps.driver}: stream is ${found.width}x${found.height}; decoding to ${this.captureFormat}, ${n} CAPTURE buffers`);
    this.state = transition(this.state, 'capture-ready');
  }

  private reapOutput(): void {
    for (;;) {
      const b = this.dev.dequeue('output');
      if (b === undefined || b === 'eos') return;
      this.freeOut.push(b.index);
    }
  }

  private drop(): false {
    this.counts.dropped++;
    return false;
  }

  private fail(e: unknown): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.state = transition(this.state, 'error');
    this.close();
    this.o.onError(`decoder ${this.dev.path}: ${e instanceof Error ? e.message : String(e)}`);
  }

  private close(): void {
    for (const q of ['output', 'capture'] as const) {
      try {
        this.dev.streamOff(q);
      } catch {
        /* not streaming, or the node is gone */
      }
    }
    this.inflight.clear();
    closeQuietly(this.dev);
  }
}

/**
 * Pure: the picture size to deliver. Decoders report the coded size on CAPTURE, aligned up
 * (bcm2835-codec: 1920x1080 → 1920x1088; vicodec: to 16): when the stream is the expected
 * size padded by less than one 16-pixel block, deliver the expected size; any other size is
 * a real change of resolution and is delivered as is. (G_SELECTION's compose rectangle would
 * say it directly; not every driver implements it.)
 */
export function visibleSize(coded: { width: number; height: number }, expected: { width: number; height: number }): { width: number; height: number } {
  const padded = (c: number, e: number): boolean => c >= e && c - e < 16;
  if (padded(coded.width, expected.width) && padded(coded.height, expected.height)) return { width: expected.width, height: expected.height };
  return { width: coded.width, height: coded.height };
}

/** The coded OUTPUT format for a codec, as this driver spells it (MJPEG: MJPG or JPEG). */
function codedFormat(codec: DecoderCodec, offered: readonly number[]): number | undefined {
  const want = codec === 'fwht' ? [PixFmt.fwht] : [PixFmt.mjpeg, PixFmt.jpeg];
  return want.find((f) => offered.includes(f));
}

