/**
 * V4l2M2mEncoder: the SoC's stateful V4L2 memory-to-memory encoder as an H264Encoder
 * (Raspberry Pi 4 bcm2835-codec, Jetson through NVIDIA's libv4l2 plugin). This file is the
 * supervision: which session is open, restarts with back-off, reconfiguration, the service
 * loop and its stall check. One open of the node, formats to drain, is a session
 * (v4l2-m2m-session.ts); whether capture buffers can be imported by fd is the probe's
 * (v4l2-dmabuf-probe.ts). Codec-parameterised: 'h264' on boards, 'fwht' against vicodec
 * in the emulated hw-tests; the flow is the same.
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
 * - Device errors, a stall (frames in flight, nothing out for stallMs) or a run of corrupt
 *   buffers → state 'restarting': close, reopen with back-off, then 'running'; the encoder
 *   starts from an IDR after a restart and requestKeyframe() is re-armed.
 * - A frame of a new size reconfigures (close and reopen) without a state change.
 */
import { basename } from 'node:path';
import type { DmabufFrame, MappedFormat } from '../media/dmabuf-frame.js';
import type { EncoderSettings, EncoderState } from '../media/encoder-settings.js';
import type { RawFrame } from '../media/raw-frame.js';
import { silentLogger, type Logger, type LogLevel } from '../system/logger.js';
import { defaultBackoff, initialBackoffState, onFailure, type BackoffPolicy, type BackoffState } from '../system/restart-backoff.js';
import type { MemoryKind } from '../v4l2/m2m-device.js';
import { fourcc, fourccText } from '../v4l2/v4l2-fourcc.js';
import { encoderStateLevel, type EncoderSink, type ZeroCopyEncoder } from './h264-encoder.js';
import { DmabufImportProbe } from './v4l2-dmabuf-probe.js';
import type { M2mCodec } from './v4l2-m2m-encoder-controls.js';
import { DmabufImportError, M2mEncodeSession, type DrainOutcome, type SessionCounts, type SessionHooks } from './v4l2-m2m-session.js';

export type { DrainOutcome } from './v4l2-m2m-session.js';

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
  /** One line per state change, choice or skipped control (tag it: child({ c: 'encoder' })); never frame content. */
  readonly logger?: Logger;
}

export interface V4l2M2mEncoderStats extends SessionCounts {
  readonly framesDropped: number;
  readonly restarts: number;
  /** How the last stop() ended; 'last-flag' + a following EPIPE is the spec's path. */
  readonly lastDrain: DrainOutcome | undefined;
  readonly lastDrainSawEpipe: boolean;
  /** Queue-to-dequeue milliseconds of the most recent units (up to 300). */
  readonly encodeMs: readonly number[];
}

const now = (): number => performance.now();

export class V4l2M2mEncoder implements ZeroCopyEncoder {
  private settings: EncoderSettings;
  private readonly codec: M2mCodec;
  private memory: MemoryKind;
  /** Raw format of the DMABUF session (the capture's); undefined = options.rawFormat or the preferred one. */
  private dmabufRaw: number | undefined;
  private readonly probe: DmabufImportProbe;
  private readonly policy: BackoffPolicy;
  private readonly log: Logger;
  private sink: EncoderSink | undefined;
  private session: M2mEncodeSession | undefined;
  private state: EncoderState = 'stopped';
  private backoff: BackoffState = initialBackoffState;
  private restartTimer: NodeJS.Timeout | undefined;
  private keyframePending = false;
  private driver: string | undefined;
  private loggedOnce = new Set<string>();
  private counts = { framesIn: 0, accessUnits: 0, framesDropped: 0, restarts: 0, corruptBuffers: 0, unmatched: 0 };
  private drain: { outcome: DrainOutcome | undefined; epipe: boolean } = { outcome: undefined, epipe: false };
  private encodeMs: number[] = [];
  private readonly hooks: SessionHooks;

  constructor(private readonly options: V4l2M2mEncoderOptions) {
    this.settings = options.settings;
    this.codec = options.codec ?? 'h264';
    this.memory = options.outputMemory ?? 'mmap';
    this.policy = options.backoff ?? defaultBackoff;
    this.log = options.logger ?? silentLogger;
    this.probe = new DmabufImportProbe({ device: options.device, codec: this.codec, pinnedRaw: options.rawFormat, name: () => this.name, logger: this.log });
    this.hooks = {
      counts: this.counts,
      driver: (name) => (this.driver = name),
      once: (key, line, level) => this.once(key, line, level),
      onAccessUnit: (au, encodeMs) => {
        if (encodeMs !== undefined) {
          this.encodeMs.push(encodeMs);
          if (this.encodeMs.length > 300) this.encodeMs.shift();
        }
        this.sink?.onAccessUnit(au);
      },
    };
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
      if (!s.queueCopy(frame, this.takeKeyframeRequest)) this.counts.framesDropped++;
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
    const raw = fourcc(frame.format.fourcc);
    try {
      if (frame.width !== this.settings.width || frame.height !== this.settings.height || s.memory !== 'dmabuf' || raw !== s.raw) {
        this.memory = 'dmabuf';
        this.dmabufRaw = raw;
        this.reconfigure(frame.width, frame.height);
        return this.encodeDmabuf(frame);
      }
    } catch (e) {
      frame.release(); // the reopen failed before the buffer was queued
      this.fail(s, e);
      return false;
    }
    try {
      if (s.queueFd(frame, this.takeKeyframeRequest)) return true;
      this.counts.framesDropped++;
      frame.release();
      return false;
    } catch (e) {
      if (e instanceof DmabufImportError) {
        // The driver would not import this buffer (e.g. it needs contiguous memory and the
        // capture driver's is vmalloc'd): stop offering zero copy for this layout.
        this.probe.refuse(raw);
        this.once(`import:${raw}`, `${this.driver ?? this.options.device} refused to import a ${fourccText(raw)} DMABUF (${e.message}); capture frames will be copied instead`, 'warn');
      }
      this.fail(s, e); // the session (its teardown) has the frame and releases it
      return false;
    }
  }

  acceptsDmabuf(f: MappedFormat): boolean {
    return this.probe.accepts(f);
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
    if (s) {
      this.drain = await s.drain(this.options.drainTimeoutMs ?? 2000);
      s.teardown();
    }
    this.setState('stopped');
  }

  /**
   * Test hook for the hw-tests: treat the device as failed, exactly as a failed ioctl
   * would (close, back-off, reopen). Not used by the product.
   */
  simulateFailureForTest(detail = 'simulated device error'): void {
    if (this.session) this.fail(this.session, new Error(detail));
  }

  private readonly takeKeyframeRequest = (): boolean => {
    const wanted = this.keyframePending;
    this.keyframePending = false;
    return wanted;
  };

  // ---- sessions -----------------------------------------------------------------------

  private openSession(): M2mEncodeSession {
    const s = M2mEncodeSession.open({
      device: this.options.device,
      codec: this.codec,
      settings: this.settings,
      memory: this.memory,
      raw: (this.memory === 'dmabuf' ? this.dmabufRaw : undefined) ?? this.options.rawFormat,
      outputBuffers: this.options.outputBuffers ?? 3,
      captureBuffers: this.options.captureBuffers ?? 3,
    }, this.hooks);
    s.loopDone = this.pump(s);
    return s;
  }

  private tryOpen(): void {
    try {
      this.session = this.openSession();
      this.keyframePending = false; // a fresh stream starts with an IDR anyway
      this.setState('running');
    } catch (e) {
      this.scheduleRestart(e instanceof Error ? e.message : String(e), 0);
    }
  }

  private reconfigure(width: number, height: number): void {
    const s = this.session;
    this.session = undefined;
    this.settings = { ...this.settings, width, height };
    s?.teardown();
    try {
      this.session = this.openSession();
    } catch (e) {
      this.scheduleRestart(e instanceof Error ? e.message : String(e), 0);
      throw e;
    }
  }

  private fail(s: M2mEncodeSession, e: unknown): void {
    if (this.session !== s) return;
    this.session = undefined;
    s.stopping = true;
    const detail = e instanceof Error ? e.message : String(e);
    const upMs = now() - s.openedAt;
    void s.loopDone.then(() => {
      s.teardown();
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
      this.log[encoderStateLevel(state)](`encoder ${this.name}: ${state}${detail ? ` (${detail})` : ''}`);
      this.sink?.onState(state, detail);
    }
  }

  private once(key: string, line: string, level: LogLevel = 'info'): void {
    if (this.loggedOnce.has(key)) return;
    this.loggedOnce.add(key);
    this.log[level](line);
  }

  /** The session's service loop: units out, OUTPUT buffers back, and the stall check. */
  private async pump(s: M2mEncodeSession): Promise<void> {
    while (!s.stopping) {
      await s.dev.waitReadable(100);
      if (s.stopping) return;
      try {
        s.service();
        if (s.inFlight > 0 && now() - s.lastProgressAt > (this.options.stallMs ?? 2000)) {
          throw new Error(`encoder returned nothing for ${Math.round(now() - s.lastProgressAt)} ms with ${s.inFlight} frames queued`);
        }
      } catch (e) {
        this.fail(s, e);
        return;
      }
    }
  }
}
