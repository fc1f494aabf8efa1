/**
 * V4l2M2mEncoder: the SoC's stateful V4L2 memory-to-memory encoder as an H264Encoder
 * (Raspberry Pi 4 bcm2835-codec, Jetson through NVIDIA's libv4l2 plugin), following the
 * kernel's "Memory-to-Memory Stateful Video Encoder Interface" (dev-encoder.rst):
 *   S_FMT CAPTURE (coded) → S_FMT OUTPUT (raw) → S_PARM → controls → REQBUFS/QUERYBUF/mmap
 *   → QBUF all CAPTURE buffers → STREAMON both → per frame QBUF OUTPUT, DQBUF CAPTURE
 *   → drain: ENCODER_CMD STOP, DQBUF until V4L2_BUF_FLAG_LAST (then EPIPE) → STREAMOFF.
 * Codec-parameterised: 'h264' on boards, 'fwht' against vicodec in the emulated hw-tests;
 * the flow is the same.
 *
 * Contracts:
 * - encode() never blocks: a free OUTPUT buffer gets the frame (copy into mmap'd memory),
 *   otherwise the frame is dropped and counted. At most the OUTPUT queue depth is in flight.
 * - encodeDmabuf() imports a capture buffer by fd instead (zero copy); its release() runs
 *   once the encoder has returned that OUTPUT buffer, or at once if dropped. The OUTPUT
 *   queue's memory (and raw format) follow what arrives: encode() on a DMABUF session, or
 *   encodeDmabuf() on an MMAP session or in another format, reopens the node (one IDR;
 *   happens when the source goes live or to the slate, not per frame). acceptsDmabuf() says
 *   beforehand whether a capture layout can be imported as is (format, size and stride).
 * - Each CAPTURE buffer with a picture becomes one AccessUnit carrying the seq/captureTimeMs
 *   of the frame whose OUTPUT timestamp it copied (see v4l2-m2m-encoder-units.ts); a
 *   headers-only buffer (SPS/PPS) is held and put in front of the next picture.
 * - Device errors, a stall (frames in flight, nothing out for stallMs) or a run of corrupt
 *   buffers → state 'restarting': close, reopen with back-off, then 'running'; the encoder
 *   starts from an IDR after a restart and requestKeyframe() is re-armed.
 * - A frame of a new size reconfigures (close and reopen) without a state change.
 */
import { basename } from 'node:path';
import type { AccessUnit } from '../media/access-unit.js';
import type { DmabufFrame, MappedFormat } from '../media/dmabuf-frame.js';
import type { EncoderSettings, EncoderState } from '../media/encoder-settings.js';
import type { RawFrame } from '../media/raw-frame.js';
import { closeQuietly, M2mDevice, type BufferInfo, type MappedBuffer, type MemoryKind } from '../v4l2/m2m-device.js';
import { ctrl, V4l2CallError, vd } from '../v4l2/v4l2-binding.js';
import { Errno } from '../v4l2/v4l2-errno.js';
import { PixFmt, fourcc, fourccText } from '../v4l2/v4l2-fourcc.js';
import { InFlightFrames } from '../v4l2/m2m-timestamps.js';
import { pickRawFormat, rawLayout, writeI420 } from '../v4l2/m2m-raw-layout.js';
import type { RawLayout } from '../v4l2/m2m-raw-layout.js';
import { defaultBackoff, initialBackoffState, onFailure, type BackoffPolicy, type BackoffState } from '../system/restart-backoff.js';
import type { EncoderSink, ZeroCopyEncoder } from './h264-encoder.js';
import { planControls, resolveControls, type M2mCodec } from './v4l2-m2m-encoder-controls.js';
import { classifyPayload } from './v4l2-m2m-encoder-units.js';

export interface V4l2M2mEncoderOptions {
  /** The encoder node, e.g. /dev/sonobox/encoder or what board-probe found. */
  readonly device: string;
  readonly settings: EncoderSettings;
  /** Coded format of the CAPTURE queue; default 'h264'. */
  readonly codec?: M2mCodec;
  /** 'mmap' (copy each RawFrame in; default) or 'dmabuf' (import capture buffers via encodeDmabuf). */
  readonly outputMemory?: MemoryKind;
  /** Raw pixel format for the OUTPUT queue (a fourcc); default: the first of YU12, YM12, NV12, NM12 offered. */
  readonly rawFormat?: number;
  readonly outputBuffers?: number; // default 3
  readonly captureBuffers?: number; // default 3
  readonly backoff?: BackoffPolicy;
  /** Frames in flight with nothing coming out for this long = the encoder is stuck; default 2000. */
  readonly stallMs?: number;
  /** How long stop() waits for the LAST buffer; default 2000. */
  readonly drainTimeoutMs?: number;
  /** One line per state change, choice or skipped control; never frame content. */
  readonly log?: (line: string) => void;
}

export type DrainOutcome = 'last-flag' | 'epipe' | 'timeout' | 'unsupported' | 'error';

export interface V4l2M2mEncoderStats {
  readonly framesIn: number;
  readonly accessUnits: number;
  readonly framesDropped: number;
  readonly restarts: number;
  readonly corruptBuffers: number;
  /** CAPTURE buffers whose timestamp matched no queued frame (should stay 0). */
  readonly unmatched: number;
  /** How the last stop() ended; 'last-flag' + a following EPIPE is the spec's path. */
  readonly lastDrain: DrainOutcome | undefined;
  readonly lastDrainSawEpipe: boolean;
  /** Queue-to-dequeue milliseconds of the most recent units (up to 300). */
  readonly encodeMs: readonly number[];
}

interface Session {
  readonly dev: M2mDevice;
  readonly memory: MemoryKind;
  readonly raw: number;
  readonly out: MappedBuffer[];
  readonly cap: MappedBuffer[];
  readonly freeOut: number[];
  readonly layout: RawLayout | undefined;
  readonly inflight: InFlightFrames;
  readonly queuedAt: Map<bigint, number>;
  readonly releases: Map<number, () => void>;
  readonly canForceKey: boolean;
  readonly openedAt: number;
  lastProgressAt: number;
  corruptRun: number;
  /** SPS/PPS from a headers-only CAPTURE buffer, waiting for the next picture. */
  heldHeaders: Buffer[];
  sawLast: boolean;
  sawEos: boolean;
  stopping: boolean;
  loopDone: Promise<void>;
}

const now = (): number => performance.now();

export class V4l2M2mEncoder implements ZeroCopyEncoder {
  private settings: EncoderSettings;
  private readonly codec: M2mCodec;
  private memory: MemoryKind;
  /** Raw format of the DMABUF session (the capture's); undefined = options.rawFormat or the preferred one. */
  private dmabufRaw: number | undefined;
  private readonly dmabufVerdicts = new Map<string, boolean>();
  private readonly policy: BackoffPolicy;
  private readonly log: (line: string) => void;
  private sink: EncoderSink | undefined;
  private session: Session | undefined;
  private state: EncoderState = 'stopped';
  private backoff: BackoffState = initialBackoffState;
  private restartTimer: NodeJS.Timeout | undefined;
  private keyframePending = false;
  private driver: string | undefined;
  private loggedOnce = new Set<string>();
  private counts = { framesIn: 0, accessUnits: 0, framesDropped: 0, restarts: 0, corruptBuffers: 0, unmatched: 0 };
  private drain: { outcome: DrainOutcome | undefined; epipe: boolean } = { outcome: undefined, epipe: false };
  private encodeMs: number[] = [];

  constructor(private readonly options: V4l2M2mEncoderOptions) {
    this.settings = options.settings;
    this.codec = options.codec ?? 'h264';
    this.memory = options.outputMemory ?? 'mmap';
    this.policy = options.backoff ?? defaultBackoff;
    this.log = options.log ?? (() => {});
  }

  /** 'v4l2-m2m:<driver>' once the node has been opened (e.g. v4l2-m2m:bcm2835-codec). */
  get name(): string {
    return `v4l2-m2m:${this.driver ?? basename(this.options.device)}`;
  }

  get stats(): V4l2M2mEncoderStats {
    return { ...this.counts, lastDrain: this.drain.outcome, lastDrainSawEpipe: this.drain.epipe, encodeMs: [...this.encodeMs] };
  }

  get currentState(): EncoderState {
    return this.state;
  }

  start(sink: EncoderSink): void {
    this.sink = sink;
    this.backoff = initialBackoffState;
    this.tryOpen();
  }

  encode(frame: RawFrame): void {
    const s = this.session;
    if (this.state !== 'running' || !s || s.stopping) {
      this.counts.framesDropped++;
      return;
    }
    try {
      if (frame.width !== this.settings.width || frame.height !== this.settings.height || s.memory !== 'mmap') {
        this.memory = 'mmap';
        this.reconfigure(frame.width, frame.height);
        return this.encode(frame);
      }
      if (!s.layout) throw new Error('MMAP session without a raw layout');
      this.reapOutput(s);
      const index = s.freeOut.shift();
      if (index === undefined) {
        this.counts.framesDropped++;
        return;
      }
      const bytesused = writeI420(frame.data, frame.width, frame.height, s.layout, s.out[index]!.planes);
      this.queueFrame(s, index, bytesused.map((b) => ({ bytesused: b })), frame);
    } catch (e) {
      this.fail(s, e);
    }
  }

  /** Zero-copy variant of encode(): queues the frame's fds (outputMemory 'dmabuf'). Returns false if dropped. */
  encodeDmabuf(frame: DmabufFrame): boolean {
    const s = this.session;
    if (this.state !== 'running' || !s || s.stopping) {
      this.counts.framesDropped++;
      frame.release();
      return false;
    }
    try {
      const raw = fourcc(frame.format.fourcc);
      if (frame.width !== this.settings.width || frame.height !== this.settings.height || s.memory !== 'dmabuf' || raw !== s.raw) {
        this.memory = 'dmabuf';
        this.dmabufRaw = raw;
        this.reconfigure(frame.width, frame.height);
        return this.encodeDmabuf(frame);
      }
      this.reapOutput(s);
      const index = s.freeOut.shift();
      if (index === undefined) {
        this.counts.framesDropped++;
        frame.release();
        return false;
      }
      s.releases.set(index, () => frame.release());
      try {
        this.queueFrame(s, index, frame.planes, frame);
      } catch (e) {
        // The driver would not import this buffer (e.g. it needs contiguous memory and the
        // capture driver's is vmalloc'd): stop offering zero copy for this layout.
        for (const key of this.dmabufVerdicts.keys()) if (key.startsWith(`${fourccText(raw)}:`)) this.dmabufVerdicts.set(key, false);
        this.once(`import:${raw}`, `${this.driver ?? this.options.device} refused to import a ${fourccText(raw)} DMABUF (${(e as Error).message}); capture frames will be copied instead`);
        throw e;
      }
      return true;
    } catch (e) {
      if (this.session !== s) frame.release(); // the reopen failed before the buffer was queued
      this.fail(s, e);
      return false;
    }
  }

  /**
   * True when a capture buffer in this layout can be queued to the OUTPUT queue by fd as
   * is: the node takes the format on OUTPUT at that size with the same stride, needs no
   * more than the buffer holds, and grants DMABUF buffers. Asked once per layout on a
   * second, short-lived context of the node (M2M contexts are per open), then cached.
   * Single memory plane only (capture is single-planar).
   */
  acceptsDmabuf(f: MappedFormat): boolean {
    const key = `${f.fourcc}:${f.width}x${f.height}:${f.bytesperline}:${f.sizeimage}`;
    const known = this.dmabufVerdicts.get(key);
    if (known !== undefined) return known;
    const pixelformat = fourcc(f.fourcc);
    let verdict = false;
    let why = '';
    if (this.options.rawFormat !== undefined && this.options.rawFormat !== pixelformat) {
      why = `the encoder is configured for ${fourccText(this.options.rawFormat)}`;
    } else {
      let dev: M2mDevice | undefined;
      try {
        dev = M2mDevice.open(this.options.device);
        const coded = this.codec === 'h264' ? PixFmt.h264 : PixFmt.fwht;
        dev.setFormat('capture', { width: f.width, height: f.height, pixelformat: coded, sizeimage: this.codec === 'h264' ? f.width * f.height : 0 });
        if (!dev.enumFormats('output').includes(pixelformat)) {
          why = `it takes no ${f.fourcc} on its OUTPUT queue`;
        } else {
          const got = dev.setFormat('output', { width: f.width, height: f.height, pixelformat });
          const p = got.planes;
          if (got.pixelformat !== pixelformat || got.width !== f.width || got.height !== f.height || p.length !== 1) {
            why = `it would encode ${fourccText(got.pixelformat)} ${got.width}x${got.height} in ${p.length} planes`;
          } else if (p[0]!.bytesperline !== f.bytesperline || p[0]!.sizeimage > f.sizeimage) {
            why = `its stride/size ${p[0]!.bytesperline}/${p[0]!.sizeimage} differ from the capture's ${f.bytesperline}/${f.sizeimage}`;
          } else if (dev.requestBuffers('output', 1, 'dmabuf') < 1) {
            why = 'it grants no DMABUF buffers';
          } else {
            verdict = true;
          }
        }
      } catch (e) {
        why = (e as Error).message;
      } finally {
        if (dev) closeQuietly(dev);
      }
    }
    this.dmabufVerdicts.set(key, verdict);
    this.log(verdict
      ? `encoder ${this.name}: imports ${f.fourcc} ${f.width}x${f.height} capture buffers by DMABUF (zero copy)`
      : `encoder ${this.name}: copies ${f.fourcc} ${f.width}x${f.height} capture frames (no DMABUF import: ${why})`);
    return verdict;
  }

  requestKeyframe(): void {
    this.keyframePending = true;
  }

  /** Drains (ENCODER_CMD STOP until the LAST buffer), stops streaming and closes the node. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const s = this.session;
    this.session = undefined;
    if (s) await this.drainAndClose(s);
    this.setState('stopped');
  }

  /**
   * Test hook for the hw-tests: treat the device as failed, exactly as a failed ioctl
   * would (close, back-off, reopen). Not used by the product.
   */
  simulateFailureForTest(detail = 'simulated device error'): void {
    if (this.session) this.fail(this.session, new Error(detail));
  }

  // ---- lifecycle --------------------------------------------------------------------

  private tryOpen(): void {
    try {
      const s = this.open(this.settings);
      this.session = s;
      this.keyframePending = false; // a fresh stream starts with an IDR anyway
      s.loopDone = this.pump(s);
      this.setState('running');
    } catch (e) {
      this.scheduleRestart(e instanceof Error ? e.message : String(e), 0);
    }
  }

  private open(settings: EncoderSettings): Session {
    const dev = M2mDevice.open(this.options.device);
    try {
      this.driver = dev.caps.driver;
      if (!dev.isM2m) throw new Error(`${dev.path} (${dev.caps.driver}) is not a memory-to-memory device; point the encoder at the codec's encode node`);
      const coded = this.codec === 'h264' ? PixFmt.h264 : PixFmt.fwht;
      const codedOffered = dev.enumFormats('capture');
      if (!codedOffered.includes(coded)) {
        throw new Error(`${dev.path} (${dev.caps.card}) does not encode ${fourccText(coded)}; it offers ${codedOffered.map(fourccText).join(', ') || 'nothing'}`);
      }
      // Coded format first: it fixes the codec and the CAPTURE buffer size (dev-encoder.rst "Initialization" 1).
      dev.setFormat('capture', { width: settings.width, height: settings.height, pixelformat: coded, sizeimage: this.codec === 'h264' ? settings.width * settings.height : 0 });
      const rawOffered = dev.enumFormats('output');
      const memory = this.memory;
      const raw = (memory === 'dmabuf' ? this.dmabufRaw : undefined) ?? this.options.rawFormat ?? pickRawFormat(rawOffered);
      if (raw === undefined || !rawOffered.includes(raw)) {
        throw new Error(`${dev.path} takes no raw format sonobox can provide (offers ${rawOffered.map(fourccText).join(', ')}; needs YU12, YM12, NV12 or NM12)`);
      }
      const fmt = dev.setFormat('output', { width: settings.width, height: settings.height, pixelformat: raw });
      if (fmt.width !== settings.width || fmt.height !== settings.height || fmt.pixelformat !== raw) {
        throw new Error(`${dev.path} cannot encode ${settings.width}x${settings.height} ${fourccText(raw)} (driver offered ${fmt.width}x${fmt.height} ${fourccText(fmt.pixelformat)}); choose a size it supports`);
      }
      const fps = dev.setFrameRate('output', settings.fps);
      if (fps === undefined) this.once(`fps:${dev.caps.driver}`, `${dev.caps.driver} takes no frame rate (S_PARM); rate control assumes its default`);
      const decision = resolveControls(planControls(this.codec, settings), (id) => dev.queryControl(id), dev.caps.driver);
      for (const note of decision.notes) this.once(note, note);
      for (const c of decision.apply) {
        try {
          dev.setControl(c.id, c.value);
        } catch (e) {
          this.once(`set:${c.name}`, `${dev.caps.driver} refused ${c.name}=${c.value}: ${(e as Error).message}; continuing without it`);
        }
      }
      const canForceKey = dev.queryControl(ctrl.V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME) !== undefined;
      if (!canForceKey) this.once(`force:${dev.caps.driver}`, `${dev.caps.driver} has no V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME; keyframe requests wait for the next periodic one`);

      const nOut = dev.requestBuffers('output', this.options.outputBuffers ?? 3, memory);
      const out = memory === 'mmap' ? dev.mapBuffers('output', nOut) : Array.from({ length: nOut }, (_, index) => ({ index, planes: [] }));
      const nCap = dev.requestBuffers('capture', this.options.captureBuffers ?? 3, 'mmap');
      const cap = dev.mapBuffers('capture', nCap);
      for (const b of cap) dev.queue('capture', b.index);
      dev.streamOn('output');
      dev.streamOn('capture');
      this.once(`open:${dev.path}:${settings.width}x${settings.height}:${fourccText(raw)}`,
        `encoder ${dev.caps.card} (${dev.caps.driver}) on ${dev.path}: ${dev.planes}-planar, ${settings.width}x${settings.height}@${settings.fps} ${fourccText(raw)}→${fourccText(coded)}, ${nOut}+${nCap} buffers, ${memory} input`);
      const t = now();
      return {
        dev, out, cap, memory, raw,
        freeOut: out.map((b) => b.index),
        layout: memory === 'mmap' ? rawLayout(fmt) : undefined,
        inflight: new InFlightFrames(),
        queuedAt: new Map(),
        releases: new Map(),
        canForceKey,
        openedAt: t,
        lastProgressAt: t,
        corruptRun: 0,
        heldHeaders: [],
        sawLast: false,
        sawEos: false,
        stopping: false,
        loopDone: Promise.resolve(),
      };
    } catch (e) {
      closeQuietly(dev);
      throw e;
    }
  }

  private reconfigure(width: number, height: number): void {
    const s = this.session;
    this.session = undefined;
    this.settings = { ...this.settings, width, height };
    if (s) {
      s.stopping = true;
      this.teardown(s);
    }
    let next: Session;
    try {
      next = this.open(this.settings);
    } catch (e) {
      this.scheduleRestart(e instanceof Error ? e.message : String(e), 0);
      throw e;
    }
    this.session = next;
    next.loopDone = this.pump(next);
  }

  private fail(s: Session, e: unknown): void {
    if (this.session !== s) return;
    this.session = undefined;
    s.stopping = true;
    const detail = e instanceof V4l2CallError || e instanceof Error ? e.message : String(e);
    const upMs = now() - s.openedAt;
    void s.loopDone.then(() => {
      this.teardown(s);
      this.scheduleRestart(detail, upMs);
    });
  }

  private scheduleRestart(detail: string, upMs: number): void {
    if (!this.sink) return;
    const { delayMs, state } = onFailure(this.policy, this.backoff, upMs);
    this.backoff = state;
    this.setState('restarting', `${detail}; reopening ${this.options.device} in ${delayMs} ms`);
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.state !== 'restarting') return;
      this.counts.restarts++;
      this.tryOpen();
    }, delayMs);
  }

  private setState(state: EncoderState, detail?: string): void {
    if (state === this.state && state !== 'restarting') return;
    const changed = state !== this.state;
    this.state = state;
    if (changed || detail) {
      this.log(`encoder ${this.name}: ${state}${detail ? ` (${detail})` : ''}`);
      this.sink?.onState(state, detail);
    }
  }

  private once(key: string, line: string): void {
    if (this.loggedOnce.has(key)) return;
    this.loggedOnce.add(key);
    this.log(line);
  }

  // ---- data path --------------------------------------------------------------------

  private queueFrame(s: Session, index: number, planes: readonly { bytesused?: number; length?: number; fd?: number }[], frame: { seq: number; captureTimeMs: number }): void {
    if (this.keyframePending && s.canForceKey) {
      // Applies to the next OUTPUT buffer queued (ext-ctrls-codec.rst FORCE_KEY_FRAME).
      s.dev.setControl(ctrl.V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME, 1);
    }
    this.keyframePending = false;
    const stamp = s.inflight.add(frame);
    if (s.inflight.size === 1) s.lastProgressAt = now();
    s.queuedAt.set(stamp, now());
    s.dev.queue('output', index, { planes, timestampUs: stamp });
    this.counts.framesIn++;
  }

  /** Returns OUTPUT buffers the encoder has finished reading to the free list. */
  private reapOutput(s: Session): void {
    for (;;) {
      const b = s.dev.dequeue('output');
      if (b === undefined || b === 'eos') return;
      s.freeOut.push(b.index);
      const release = s.releases.get(b.index);
      if (release) {
        s.releases.delete(b.index);
        release();
      }
    }
  }

  private async pump(s: Session): Promise<void> {
    while (!s.stopping) {
      await s.dev.waitReadable(100);
      if (s.stopping) return;
      try {
        this.service(s);
        if (s.inflight.size > 0 && now() - s.lastProgressAt > (this.options.stallMs ?? 2000)) {
          throw new Error(`encoder returned nothing for ${Math.round(now() - s.lastProgressAt)} ms with ${s.inflight.size} frames queued`);
        }
      } catch (e) {
        this.fail(s, e);
        return;
      }
    }
  }

  /** Dequeues every finished CAPTURE buffer (→ AccessUnits) and every free OUTPUT buffer. */
  private service(s: Session): void {
    for (;;) {
      const b = s.dev.dequeue('capture');
      if (b === undefined) break;
      if (b === 'eos') {
        s.sawEos = true;
        break;
      }
      this.onCaptureBuffer(s, b);
      if (s.sawLast) break;
    }
    this.reapOutput(s);
  }

  private onCaptureBuffer(s: Session, b: BufferInfo): void {
    s.lastProgressAt = now();
    const p = b.planes[0];
    const view = s.cap[b.index]?.planes[0];
    if (b.flags & vd.V4L2_BUF_FLAG_ERROR) {
      this.counts.corruptBuffers++;
      if (++s.corruptRun >= 5) throw new Error(`encoder marked ${s.corruptRun} buffers in a row as corrupt`);
    } else if (p && view && p.bytesused > p.dataOffset) {
      s.corruptRun = 0;
      const c = classifyPayload(this.codec, view.subarray(p.dataOffset, p.bytesused));
      if (c.kind === 'headers') {
        s.heldHeaders.push(...c.nalus); // SPS/PPS alone: they go in front of the next picture
      } else if (c.kind === 'picture') {
        const meta = s.inflight.take(b.timestampUs);
        const queuedAt = s.queuedAt.get(b.timestampUs);
        s.queuedAt.delete(b.timestampUs);
        if (!meta) {
          this.counts.unmatched++;
        } else {
          const au: AccessUnit = { nalus: [...s.heldHeaders, ...c.nalus], keyframe: c.keyframe, seq: meta.seq, captureTimeMs: meta.captureTimeMs };
          s.heldHeaders = [];
          this.counts.accessUnits++;
          if (queuedAt !== undefined) {
            this.encodeMs.push(now() - queuedAt);
            if (this.encodeMs.length > 300) this.encodeMs.shift();
          }
          this.sink?.onAccessUnit(au);
        }
      }
    }
    if (b.flags & vd.V4L2_BUF_FLAG_LAST) s.sawLast = true;
    else s.dev.queue('capture', b.index);
  }

  private async drainAndClose(s: Session): Promise<void> {
    s.stopping = true;
    await s.loopDone;
    let outcome: DrainOutcome = 'timeout';
    try {
      s.dev.encoderCommand(vd.V4L2_ENC_CMD_STOP);
      const deadline = now() + (this.options.drainTimeoutMs ?? 2000);
      while (!s.sawLast && !s.sawEos && now() < deadline) {
        await s.dev.waitReadable(50);
        this.service(s);
      }
      if (s.sawLast) {
        outcome = 'last-flag';
        // After LAST, the next DQBUF must fail with EPIPE (dev-encoder.rst "Drain").
        this.drain.epipe = s.dev.dequeue('capture') === 'eos';
      } else if (s.sawEos) {
        outcome = 'epipe';
        this.drain.epipe = true;
      }
    } catch (e) {
      outcome = e instanceof V4l2CallError && e.errno === Errno.ENOTTY ? 'unsupported' : 'error';
      this.drain.epipe = false;
    }
    this.drain.outcome = outcome;
    this.teardown(s);
  }

  /** STREAMOFF both queues, hand back imported buffers, free and unmap, close. Never throws. */
  private teardown(s: Session): void {
    s.stopping = true;
    for (const q of ['output', 'capture'] as const) {
      try {
        s.dev.streamOff(q);
      } catch {
        /* the node may be gone; closing still frees everything */
      }
    }
    for (const release of s.releases.values()) release();
    s.releases.clear();
    s.inflight.clear();
    closeQuietly(s.dev);
  }
}

