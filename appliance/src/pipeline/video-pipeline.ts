import type { FrameSink, FrameSource } from '../capture/frame-source.js';
import type { H264Encoder } from '../encode/h264-encoder.js';
import type { AccessUnit } from '../media/access-unit.js';
import { isDmabufFrame, type DmabufFrame, type MappedFormat } from '../media/dmabuf-frame.js';
import type { EncoderState } from '../media/encoder-settings.js';
import { captureClockMs, type RawFrame } from '../media/raw-frame.js';
import { SourceCondition } from '../media/source-condition.js';
import type { Logger } from '../system/logger.js';
import { ZeroCopyGate } from './zero-copy-gate.js';

/** Produces the slate shown while the source is not live (same size as the stream). */
export type SlateMaker = (condition: SourceCondition, width: number, height: number, seq: number, timeMs: number) => RawFrame;

/** Anything that edits a raw frame in place before encoding (PHI masking). Returns false to withhold the frame. */
export type FrameFilter = (frame: RawFrame) => boolean;

/**
 * The same edit for a DmabufFrame, on the capture mapping itself: edits `planes` (laid out
 * as `format` says) before the fds reach the encoder; returns false to withhold the frame.
 * A filter that does not handle `format.fourcc` must return false (fail closed).
 */
export type MappedFrameFilter = (planes: readonly Buffer[], format: MappedFormat, frame: { readonly seq: number; readonly captureTimeMs: number }) => boolean;

export interface VideoPipelineOptions {
  source: FrameSource;
  encoder: H264Encoder;
  makeSlate: SlateMaker;
  /** Output picture size: the slate uses it, and it is what viewers negotiate for. */
  width: number;
  height: number;
  /** Slate frames per second while the source is not live; low, the slate is still. */
  slateFps?: number;
  /** Called for every access unit, in order (the stream hub's publish). */
  publish: (au: AccessUnit) => void;
  filter?: FrameFilter;
  /**
   * The same masking, applied in place to a capture buffer (zero copy: zero-copy-gate.ts).
   * With `filter` set and no `mappedFilter`, zero copy is off: every frame is copied to I420
   * and goes through `filter`, so masking is never bypassed.
   */
  mappedFilter?: MappedFrameFilter;
  /** Told once per change of the source's condition (the cart shows "no signal"). */
  onCondition?: (condition: SourceCondition) => void;
  /**
   * Tag it: child({ c: 'pipeline' }). Source conditions and encoder states are logged by the
   * source and the encoder themselves (one line per change, worded by who knows the device);
   * the pipeline logs only its own choices.
   */
  logger: Logger;
}

export interface PipelineStatus {
  source: { kind: string; description: string; condition: SourceCondition; detail?: string };
  encoder: { name: string; state: EncoderState | 'starting' };
  framesIn: number;
  accessUnitsOut: number;
  /** Encoded bytes (NAL units) so far: the bitrate actually produced. */
  bytesOut: number;
  /** captureClockMs() of the last access unit, or 0: the systemd watchdog is fed only while this moves. */
  lastAccessUnitAtMs: number;
}

/**
 * VideoPipeline is the glue from a FrameSource to the encoder to the stream: live frames
 * go through the optional filter (masking) to the encoder; while the source is in any
 * other condition a slate is encoded instead, so viewers keep their connections and see
 * why there is no picture (uStreamer's "NO LIVE VIDEO").
 */
export class VideoPipeline {
  private condition: SourceCondition = SourceCondition.noDevice;
  private conditionDetail: string | undefined;
  private encoderState: EncoderState | 'starting' = 'starting';
  private slateTimer: NodeJS.Timeout | undefined;
  private slateSeq = 0;
  private framesIn = 0;
  private accessUnitsOut = 0;
  private bytesOut = 0;
  private lastAccessUnitAtMs = 0;
  private running = false;
  private zeroCopy: ZeroCopyGate | undefined;

  constructor(private readonly o: VideoPipelineOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.o.encoder.start({
      onAccessUnit: (au) => {
        this.accessUnitsOut++;
        for (const n of au.nalus) this.bytesOut += n.length;
        this.lastAccessUnitAtMs = captureClockMs();
        this.o.publish(au);
      },
      onState: (state) => {
        this.encoderState = state;
      },
    });
    this.zeroCopy = ZeroCopyGate.between(this.o.source, this.o.encoder, { inCopy: this.o.filter !== undefined, inPlace: this.o.mappedFilter !== undefined }, this.o.logger);
    // Until the source says it is live, viewers get the slate.
    this.startSlate();
    const sink: FrameSink = {
      onFrame: (frame) => this.onFrame(frame),
      onCondition: (condition, detail) => this.onCondition(condition, detail),
    };
    this.o.source.start(sink);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.stopSlate();
    await this.o.source.stop();
    await this.o.encoder.stop();
  }

  requestKeyframe(): void {
    this.o.encoder.requestKeyframe();
  }

  status(): PipelineStatus {
    return {
      source: {
        kind: this.o.source.kind,
        description: this.o.source.description,
        condition: this.condition,
        ...(this.conditionDetail ? { detail: this.conditionDetail } : {}),
      },
      encoder: { name: this.o.encoder.name, state: this.encoderState },
      framesIn: this.framesIn,
      accessUnitsOut: this.accessUnitsOut,
      bytesOut: this.bytesOut,
      lastAccessUnitAtMs: this.lastAccessUnitAtMs,
    };
  }

  /** A frame still in the capture buffer: mask it there and hand the fd over, or copy it out. */
  private onLentFrame(frame: DmabufFrame): RawFrame | undefined {
    if (!this.zeroCopy?.accepts(frame.format)) {
      // Lent without the gate's yes: copy it out (data before release), go the I420 way.
      const copy: RawFrame = { width: frame.width, height: frame.height, data: frame.data, seq: frame.seq, captureTimeMs: frame.captureTimeMs };
      frame.release();
      return copy;
    }
    if (this.o.mappedFilter && !this.o.mappedFilter(frame.mapped, frame.format, frame)) {
      frame.release();
      this.o.encoder.encode(this.slate(SourceCondition.error)); // withheld: fail closed, as below
      return undefined;
    }
    this.zeroCopy.encoder.encodeDmabuf(frame);
    return undefined;
  }

  private onFrame(input: RawFrame): void {
    if (!this.running) {
      if (isDmabufFrame(input)) input.release();
      return;
    }
    this.framesIn++;
    // A frame proves the source is live even if it never said so.
    if (this.condition !== SourceCondition.live) this.onCondition(SourceCondition.live);
    const frame = isDmabufFrame(input) ? this.onLentFrame(input) : input;
    if (!frame) return;
    if (this.o.filter && !this.o.filter(frame)) {
      // Fail closed: a frame the filter withholds is replaced by the slate.
      this.o.encoder.encode(this.slate(SourceCondition.error));
      return;
    }
    this.o.encoder.encode(frame);
  }

  private onCondition(condition: SourceCondition, detail?: string): void {
    if (condition === this.condition && detail === this.conditionDetail) return;
    this.condition = condition;
    this.conditionDetail = detail;
    this.o.onCondition?.(condition);
    if (condition === SourceCondition.live) this.stopSlate();
    else this.startSlate();
  }

  private startSlate(): void {
    if (this.slateTimer || !this.running) return;
    const fps = this.o.slateFps ?? 10;
    const tick = (): void => this.o.encoder.encode(this.slate(this.condition));
    tick();
    this.slateTimer = setInterval(tick, 1000 / fps);
  }

  private stopSlate(): void {
    if (this.slateTimer) clearInterval(this.slateTimer);
    this.slateTimer = undefined;
  }

  private slate(condition: SourceCondition): RawFrame {
    return this.o.makeSlate(condition, this.o.width, this.o.height, this.slateSeq++, captureClockMs());
  }
}
