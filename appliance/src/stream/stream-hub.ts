/**
 * StreamHub fans one encoded stream out to N readers (MediaMTX's stream/reader split):
 * each access unit is packetized once (RFC 6184), then queued to every reader; each
 * reader drains its own bounded queue at its own pace. Keyframe requests from readers
 * are coalesced and passed to the encoder through one callback.
 */
import type { AccessUnit } from '../media/access-unit.js';
import {
  DEFAULT_MAX_PAYLOAD_SIZE,
  packetizeAccessUnit,
  randomUint32,
  RtpTimestampClock,
  type RtpPayloadPacket,
} from '../h264/rtp-packetizer.js';
import { KeyframeRequestLimiter, ReaderQueue } from './reader-queue.js';

/** StreamUnit is one packetized access unit, shared read-only by every reader. */
export interface StreamUnit {
  readonly keyframe: boolean;
  /** Wall-clock capture time, ms (see RawFrame.captureTimeMs). */
  readonly captureTimeMs: number;
  /** 90 kHz RTP timestamp of every packet of this unit. */
  readonly rtpTimestamp: number;
  /** RTP sequence number of packets[0]; packet i has (first + i) mod 2^16. */
  readonly firstSequenceNumber: number;
  readonly packets: readonly RtpPayloadPacket[];
}

/** StreamReader is an entity that can read the stream (one viewer's sender). */
export interface StreamReader {
  /**
   * Sends one unit. A returned promise means "busy until it settles": the hub queues
   * later units meanwhile (bounded). Units arrive in order, starting with a keyframe.
   */
  write(unit: StreamUnit): void | Promise<void>;
}

/** ReaderHandle is a reader's membership in the hub. */
export interface ReaderHandle {
  /** Ask for a keyframe (PLI/FIR from this reader); coalesced across readers. */
  requestKeyframe(): void;
  /** Frames this reader lost because its queue overflowed. */
  readonly discardedFrames: number;
  /** Leaves the hub; queued units are dropped. Idempotent. */
  remove(): void;
}

export interface StreamHubOptions {
  /** Units a reader may have queued before it drops to the next IDR (Config webrtc.viewerQueueFrames). */
  readonly viewerQueueFrames: number;
  /** Asks the encoder for an IDR (wired to H264Encoder.requestKeyframe). */
  readonly requestKeyframe: () => void;
  /** RTP payload bytes per packet; default 1200. */
  readonly maxPayloadSize?: number;
  /** Minimum spacing of keyframe requests to the encoder, ms; default 1000. */
  readonly keyframeRequestIntervalMs?: number;
  /** Monotonic clock in ms; injected by tests. */
  readonly now?: () => number;
  /** Timer for deferred keyframe requests; injected by tests. Returns a cancel function. */
  readonly setTimer?: (fn: () => void, ms: number) => () => void;
}

const defaultSetTimer = (fn: () => void, ms: number): (() => void) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

interface ReaderEntry {
  readonly reader: StreamReader;
  readonly queue: ReaderQueue<StreamUnit>;
  draining: boolean;
  removed: boolean;
}

export class StreamHub {
  private readonly readers = new Set<ReaderEntry>();
  private readonly limiter: KeyframeRequestLimiter;
  private readonly clock = new RtpTimestampClock();
  private nextSequenceNumber = randomUint32() & 0xffff;
  private cancelTimer: (() => void) | undefined;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => () => void;
  private readonly maxPayloadSize: number;

  constructor(private readonly options: StreamHubOptions) {
    this.limiter = new KeyframeRequestLimiter(options.keyframeRequestIntervalMs ?? 1000);
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? defaultSetTimer;
    this.maxPayloadSize = options.maxPayloadSize ?? DEFAULT_MAX_PAYLOAD_SIZE;
    // Fail at construction, not on the first frame.
    new ReaderQueue(options.viewerQueueFrames);
  }

  get readerCount(): number {
    return this.readers.size;
  }

  /** Packetizes the access unit once and queues it to every reader. Never blocks. */
  publish(au: AccessUnit): void {
    if (au.nalus.length === 0) return;
    const packets = packetizeAccessUnit(au.nalus, this.maxPayloadSize);
    const unit: StreamUnit = {
      keyframe: au.keyframe,
      captureTimeMs: au.captureTimeMs,
      rtpTimestamp: this.clock.timestampFor(au.captureTimeMs),
      firstSequenceNumber: this.nextSequenceNumber,
      packets,
    };
    this.nextSequenceNumber = (this.nextSequenceNumber + packets.length) & 0xffff;
    if (au.keyframe) {
      this.limiter.keyframePublished();
      this.rescheduleDeferredRequest();
    }
    for (const entry of this.readers) {
      // A reader that overflowed lost frames; it waits for an IDR, so ask for one.
      if (entry.queue.push(unit) === 'overflowed' && !unit.keyframe) this.requestKeyframe();
      if (!entry.draining) void this.drain(entry);
    }
  }

  /** Adds a reader; it receives units from the next IDR on, and one is requested now. */
  addReader(reader: StreamReader): ReaderHandle {
    const entry: ReaderEntry = {
      reader,
      queue: new ReaderQueue<StreamUnit>(this.options.viewerQueueFrames),
      draining: false,
      removed: false,
    };
    this.readers.add(entry);
    this.requestKeyframe();
    return {
      requestKeyframe: () => {
        if (!entry.removed) this.requestKeyframe();
      },
      get discardedFrames() {
        return entry.queue.discardedFrames;
      },
      remove: () => {
        entry.removed = true;
        this.readers.delete(entry);
        while (entry.queue.shift()) { /* drop */ }
      },
    };
  }

  /** Asks the encoder for a keyframe, at most once per interval (later ones deferred). */
  requestKeyframe(): void {
    if (this.limiter.request(this.now())) this.options.requestKeyframe();
    this.rescheduleDeferredRequest();
  }

  /** Stops the deferred-request timer; readers stay registered. */
  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private rescheduleDeferredRequest(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const due = this.limiter.dueAtMs;
    if (due === undefined) return;
    this.cancelTimer = this.setTimer(() => {
      this.cancelTimer = undefined;
      if (this.limiter.poll(this.now())) this.options.requestKeyframe();
      this.rescheduleDeferredRequest();
    }, Math.max(0, due - this.now()));
  }

  private async drain(entry: ReaderEntry): Promise<void> {
    entry.draining = true;
    try {
      for (let unit = entry.queue.shift(); unit && !entry.removed; unit = entry.queue.shift()) {
        try {
          const pending = entry.reader.write(unit);
          if (pending) await pending;
        } catch {
          // A reader's failure is its own (its connection closes it); the stream goes on.
        }
      }
    } finally {
      entry.draining = false;
    }
  }
}
