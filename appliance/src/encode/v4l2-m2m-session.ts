/**
 * M2mEncodeSession: one open of a stateful V4L2 M2M encoder, from the formats to the
 * drain, following the kernel's "Memory-to-Memory Stateful Video Encoder Interface"
 * (dev-encoder.rst):
 *   S_FMT CAPTURE (coded) → S_FMT OUTPUT (raw) → S_PARM → controls → REQBUFS/QUERYBUF/mmap
 *   → QBUF all CAPTURE buffers → STREAMON both → per frame QBUF OUTPUT, DQBUF CAPTURE
 *   → drain: ENCODER_CMD STOP, DQBUF until V4L2_BUF_FLAG_LAST (then EPIPE) → STREAMOFF.
 * One size, one raw format, one OUTPUT memory (MMAP copies or imported DMABUF fds) per
 * session; anything else is a new session (v4l2-m2m-encoder.ts supervises them).
 *
 * Contracts:
 * - queueCopy()/queueFd() never block: without a free OUTPUT buffer they return false and
 *   queue nothing (the caller drops the frame). At most the OUTPUT queue depth is in flight.
 * - A frame queued by fd is released once the encoder has returned its OUTPUT buffer, or
 *   on teardown; never twice.
 * - Each CAPTURE buffer with a picture becomes one AccessUnit carrying the seq/captureTimeMs
 *   of the frame whose OUTPUT timestamp it copied (v4l2/m2m-timestamps.ts); a headers-only
 *   buffer (SPS/PPS) is held and put in front of the next picture.
 * - Device errors, and a run of corrupt buffers, are thrown: the supervisor restarts.
 */
import type { AccessUnit } from '../media/access-unit.js';
import type { DmabufFrame } from '../media/dmabuf-frame.js';
import type { EncoderSettings } from '../media/encoder-settings.js';
import type { RawFrame } from '../media/raw-frame.js';
import type { LogLevel } from '../system/logger.js';
import { closeQuietly, M2mDevice, type BufferInfo, type MappedBuffer, type MemoryKind, type QueuePlane } from '../v4l2/m2m-device.js';
import { pickRawFormat, rawLayout, writeI420, type RawLayout } from '../v4l2/m2m-raw-layout.js';
import { InFlightFrames } from '../v4l2/m2m-timestamps.js';
import { ctrl, V4l2CallError, vd } from '../v4l2/v4l2-binding.js';
import { Errno } from '../v4l2/v4l2-errno.js';
import { PixFmt, fourccText } from '../v4l2/v4l2-fourcc.js';
import { planControls, resolveControls, type M2mCodec } from './v4l2-m2m-encoder-controls.js';
import { classifyPayload } from './v4l2-m2m-encoder-units.js';

/** QBUF of a DMABUF frame failed: the driver would not import those fds. */
export class DmabufImportError extends Error {
  override readonly name = 'DmabufImportError';
  constructor(readonly reason: unknown) {
    super(reason instanceof Error ? reason.message : String(reason));
  }
}

export type DrainOutcome = 'last-flag' | 'epipe' | 'timeout' | 'unsupported' | 'error';

export interface SessionConfig {
  readonly device: string;
  readonly codec: M2mCodec;
  readonly settings: EncoderSettings;
  readonly memory: MemoryKind;
  /** The OUTPUT raw format (a fourcc); undefined: the first of YU12, YM12, NV12, NM12 offered. */
  readonly raw: number | undefined;
  readonly outputBuffers: number;
  readonly captureBuffers: number;
}

/** Counters that outlive a session (the encoder's stats). */
export interface SessionCounts {
  framesIn: number;
  accessUnits: number;
  corruptBuffers: number;
  /** CAPTURE buffers whose timestamp matched no queued frame (should stay 0). */
  unmatched: number;
}

export interface SessionHooks {
  readonly counts: SessionCounts;
  /** The node's driver, as soon as it is known (even if the open then fails). */
  driver(name: string): void;
  /** A line to log once per key (choices, skipped controls); info unless said. */
  once(key: string, line: string, level?: LogLevel): void;
  onAccessUnit(au: AccessUnit, encodeMs: number | undefined): void;
}

const now = (): number => performance.now();

export class M2mEncodeSession {
  readonly openedAt = now();
  lastProgressAt = this.openedAt;
  stopping = false;
  /** The supervisor's service loop for this session; drain() waits for it. */
  loopDone: Promise<void> = Promise.resolve();
  private readonly freeOut: number[];
  private readonly inflight = new InFlightFrames();
  private readonly queuedAt = new Map<bigint, number>();
  private readonly releases = new Map<number, () => void>();
  private corruptRun = 0;
  /** SPS/PPS from a headers-only CAPTURE buffer, waiting for the next picture. */
  private heldHeaders: Buffer[] = [];
  private sawLast = false;
  private sawEos = false;

  private constructor(
    readonly dev: M2mDevice,
    readonly memory: MemoryKind,
    readonly raw: number,
    private readonly codec: M2mCodec,
    private readonly out: readonly MappedBuffer[],
    private readonly cap: readonly MappedBuffer[],
    private readonly layout: RawLayout | undefined,
    private readonly canForceKey: boolean,
    private readonly hooks: SessionHooks,
  ) {
    this.freeOut = out.map((b) => b.index);
  }

  /** Opens, configures and starts streaming; throws (saying what to do) when the node cannot. */
  static open(c: SessionConfig, hooks: SessionHooks): M2mEncodeSession {
    const { settings } = c;
    const dev = M2mDevice.open(c.device);
    try {
      hooks.driver(dev.caps.driver);
      if (!dev.isM2m) throw new Error(`${dev.path} (${dev.caps.driver}) is not a memory-to-memory device; point the encoder at the codec's encode node`);
      const coded = codedFormat(c.codec);
      const codedOffered = dev.enumFormats('capture');
      if (!codedOffered.includes(coded)) {
        throw new Error(`${dev.path} (${dev.caps.card}) does not encode ${fourccText(coded)}; it offers ${codedOffered.map(fourccText).join(', ') || 'nothing'}`);
      }
      // Coded format first: it fixes the codec and the CAPTURE buffer size (dev-encoder.rst "Initialization" 1).
      dev.setFormat('capture', { width: settings.width, height: settings.height, pixelformat: coded, sizeimage: codedBufferBytes(c.codec, settings.width, settings.height) });
      const rawOffered = dev.enumFormats('output');
      const raw = c.raw ?? pickRawFormat(rawOffered);
      if (raw === undefined || !rawOffered.includes(raw)) {
        throw new Error(`${dev.path} takes no raw format sonobox can provide (offers ${rawOffered.map(fourccText).join(', ')}; needs YU12, YM12, NV12 or NM12)`);
      }
      const fmt = dev.setFormat('output', { width: settings.width, height: settings.height, pixelformat: raw });
      if (fmt.width !== settings.width || fmt.height !== settings.height || fmt.pixelformat !== raw) {
        throw new Error(`${dev.path} cannot encode ${settings.width}x${settings.height} ${fourccText(raw)} (driver offered ${fmt.width}x${fmt.height} ${fourccText(fmt.pixelformat)}); choose a size it supports`);
      }
      const fps = dev.setFrameRate('output', settings.fps);
      if (fps === undefined) hooks.once(`fps:${dev.caps.driver}`, `${dev.caps.driver} takes no frame rate (S_PARM); rate control assumes its default`);
      const decision = resolveControls(planControls(c.codec, settings), (id) => dev.queryControl(id), dev.caps.driver);
      for (const note of decision.notes) hooks.once(note, note);
      for (const x of decision.apply) {
        try {
          dev.setControl(x.id, x.value);
        } catch (e) {
          hooks.once(`set:${x.name}`, `${dev.caps.driver} refused ${x.name}=${x.value}: ${(e as Error).message}; continuing without it`, 'warn');
        }
      }
      const canForceKey = dev.queryControl(ctrl.V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME) !== undefined;
      if (!canForceKey) hooks.once(`force:${dev.caps.driver}`, `${dev.caps.driver} has no V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME; keyframe requests wait for the next periodic one`);

      const nOut = dev.requestBuffers('output', c.outputBuffers, c.memory);
      const out = c.memory === 'mmap' ? dev.mapBuffers('output', nOut) : Array.from({ length: nOut }, (_, index) => ({ index, planes: [] }));
      const nCap = dev.requestBuffers('capture', c.captureBuffers, 'mmap');
      const cap = dev.mapBuffers('capture', nCap);
      for (const b of cap) dev.queue('capture', b.index);
      dev.streamOn('output');
      dev.streamOn('capture');
      hooks.once(`open:${dev.path}:${settings.width}x${settings.height}:${fourccText(raw)}`,
        `encoder ${dev.caps.card} (${dev.caps.driver}) on ${dev.path}: ${dev.planes}-planar, ${settings.width}x${settings.height}@${settings.fps} ${fourccText(raw)}→${fourccText(coded)}, ${nOut}+${nCap} buffers, ${c.memory} input`);
      return new M2mEncodeSession(dev, c.memory, raw, c.codec, out, cap, c.memory === 'mmap' ? rawLayout(fmt) : undefined, canForceKey, hooks);
    } catch (e) {
      closeQuietly(dev);
      throw e;
    }
  }

  /** Frames queued and not yet returned as units. */
  get inFlight(): number {
    return this.inflight.size;
  }

  /**
   * Copies an I420 frame into a free OUTPUT buffer (an MMAP session). False: none free,
   * nothing queued. keyframe() is asked only when the frame is queued.
   */
  queueCopy(frame: RawFrame, keyframe: () => boolean): boolean {
    if (!this.layout) throw new Error('MMAP session without a raw layout');
    this.reapOutput();
    const index = this.freeOut.shift();
    if (index === undefined) return false;
    const bytesused = writeI420(frame.data, frame.width, frame.height, this.layout, this.out[index]!.planes);
    this.queue(index, bytesused.map((b) => ({ bytesused: b })), frame, keyframe());
    return true;
  }

  /**
   * Queues a frame's fds (a DMABUF session). False: no OUTPUT buffer free, nothing queued,
   * the caller still holds the frame. True, or a throw: the session holds it and releases it
   * once (when the encoder returns the buffer, or on teardown). The driver refusing to queue
   * the fds throws a DmabufImportError.
   */
  queueFd(frame: DmabufFrame, keyframe: () => boolean): boolean {
    try {
      this.reapOutput();
    } catch (e) {
      frame.release();
      throw e;
    }
    const index = this.freeOut.shift();
    if (index === undefined) return false;
    this.releases.set(index, () => frame.release());
    try {
      this.queue(index, frame.planes, frame, keyframe());
    } catch (e) {
      throw new DmabufImportError(e);
    }
    return true;
  }

  /** Dequeues every finished CAPTURE buffer (→ AccessUnits) and every free OUTPUT buffer. */
  service(): void {
    const eos = this.dev.dequeueEach('capture', (b) => {
      this.onCaptureBuffer(b);
      return this.sawLast;
    });
    if (eos) this.sawEos = true;
    this.reapOutput();
  }

  /** ENCODER_CMD STOP, then service until LAST (dev-encoder.rst "Drain"), bounded by timeoutMs. */
  async drain(timeoutMs: number): Promise<{ outcome: DrainOutcome; epipe: boolean }> {
    this.stopping = true;
    await this.loopDone;
    try {
      this.dev.encoderCommand(vd.V4L2_ENC_CMD_STOP);
      const deadline = now() + timeoutMs;
      while (!this.sawLast && !this.sawEos && now() < deadline) {
        await this.dev.waitReadable(50);
        this.service();
      }
      // After LAST, the next DQBUF must fail with EPIPE.
      if (this.sawLast) return { outcome: 'last-flag', epipe: this.dev.dequeue('capture') === 'eos' };
      if (this.sawEos) return { outcome: 'epipe', epipe: true };
      return { outcome: 'timeout', epipe: false };
    } catch (e) {
      return { outcome: e instanceof V4l2CallError && e.errno === Errno.ENOTTY ? 'unsupported' : 'error', epipe: false };
    }
  }

  /** STREAMOFF both queues, hand back imported buffers, free and unmap, close. Never throws. */
  teardown(): void {
    this.stopping = true;
    for (const q of ['output', 'capture'] as const) {
      try {
        this.dev.streamOff(q);
      } catch {
        /* the node may be gone; closing still frees everything */
      }
    }
    for (const release of this.releases.values()) release();
    this.releases.clear();
    this.inflight.clear();
    closeQuietly(this.dev);
  }

  private queue(index: number, planes: readonly QueuePlane[], frame: { seq: number; captureTimeMs: number }, forceKey: boolean): void {
    // Applies to the next OUTPUT buffer queued (ext-ctrls-codec.rst FORCE_KEY_FRAME).
    if (forceKey && this.canForceKey) this.dev.setControl(ctrl.V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 1);
    const stamp = this.inflight.add(frame);
    if (this.inflight.size === 1) this.lastProgressAt = now();
    this.queuedAt.set(stamp, now());
    this.dev.queue('output', index, { planes, timestampUs: stamp });
    this.hooks.counts.framesIn++;
  }

  /** Returns OUTPUT buffers the encoder has finished reading to the free list. */
  private reapOutput(): void {
    for (;;) {
      const b = this.dev.dequeue('output');
      if (b === undefined || b === 'eos') return;
      this.freeOut.push(b.index);
      const release = this.releases.get(b.index);
      if (release) {
        this.releases.delete(b.index);
        release();
      }
    }
  }

  private onCaptureBuffer(b: BufferInfo): void {
    this.lastProgressAt = now();
    const p = b.planes[0];
    const view = this.cap[b.index]?.planes[0];
    if (b.flags & vd.V4L2_BUF_FLAG_ERROR) {
      this.hooks.counts.corruptBuffers++;
      if (++this.corruptRun >= 5) throw new Error(`encoder marked ${this.corruptRun} buffers in a row as corrupt`);
    } else if (p && view && p.bytesused > p.dataOffset) {
      this.corruptRun = 0;
      const c = classifyPayload(this.codec, view.subarray(p.dataOffset, p.bytesused));
      if (c.kind === 'headers') {
        this.heldHeaders.push(...c.nalus); // SPS/PPS alone: they go in front of the next picture
      } else if (c.kind === 'picture') {
        const meta = this.inflight.take(b.timestampUs);
        const queuedAt = this.queuedAt.get(b.timestampUs);
        this.queuedAt.delete(b.timestampUs);
        if (!meta) {
          this.hooks.counts.unmatched++;
        } else {
          const au: AccessUnit = { nalus: [...this.heldHeaders, ...c.nalus], keyframe: c.keyframe, seq: meta.seq, captureTimeMs: meta.captureTimeMs };
          this.heldHeaders = [];
          this.hooks.counts.accessUnits++;
          this.hooks.onAccessUnit(au, queuedAt === undefined ? undefined : now() - queuedAt);
        }
      }
    }
    if (b.flags & vd.V4L2_BUF_FLAG_LAST) this.sawLast = true;
    else this.dev.queue('capture', b.index);
  }
}

/** The CAPTURE queue's coded format for a codec. */
export function codedFormat(codec: M2mCodec): number {
  return codec === 'h264' ? PixFmt.h264 : PixFmt.fwht;
}

/** The CAPTURE buffer size asked for: one raw luma plane's worth for H.264; the driver's choice (0) for FWHT. */
export function codedBufferBytes(codec: M2mCodec, width: number, height: number): number {
  return codec === 'h264' ? width * height : 0;
}
