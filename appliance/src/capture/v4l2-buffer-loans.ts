/**
 * Lending capture buffers instead of copying them (zero copy, media/dmabuf-frame.ts): the
 * DMABUF fds of one capture session's buffers (VIDIOC_EXPBUF, once per session), which
 * buffers are on loan, and the DmabufFrame a lent buffer travels as.
 *
 * Contracts: a lent buffer goes back to the capture queue when its frame is released, once
 * (the frame's release() is idempotent). A release after the session ended does nothing:
 * the queue is gone (the memory lives on until the importer drops it; the kernel
 * refcounts DMABUFs).
 */
import { closeSync } from 'node:fs';
import type { DmabufFrame, DmabufPlane, MappedFormat } from '../media/dmabuf-frame.js';
import { i420Size } from '../media/raw-frame.js';
import type { Logger } from '../system/logger.js';
import type { DequeuedBuffer, MmapCaptureQueue } from '../v4l2/v4l2-buffer-queue.js';
import { toI420, type RawPixFmt } from './v4l2-pixel-convert.js';

export class BufferLoans {
  private readonly fds: (number | undefined)[] = [];
  private readonly onLoan = new Set<number>();
  private open = true;

  private constructor(
    private readonly queue: MmapCaptureQueue,
    private readonly onRelease: () => void,
  ) {}

  /**
   * EXPBUFs every buffer of the queue. A driver that refuses leaves the session on the copy
   * path: undefined, said in the log.
   */
  static export(queue: MmapCaptureQueue, onRelease: () => void, log: Logger): BufferLoans | undefined {
    const loans = new BufferLoans(queue, onRelease);
    for (let i = 0; i < queue.count; i++) {
      try {
        loans.fds[i] = queue.exportDmabuf(i);
      } catch (e) {
        log.info(`Capture buffers cannot be exported as DMABUF (${e instanceof Error ? e.message : String(e)}); copying frames instead`);
        loans.closeFds();
        return undefined;
      }
    }
    return loans;
  }

  canLend(index: number): boolean {
    return this.fds[index] !== undefined;
  }

  /** Marks buffer `buf` on loan and wraps it as the frame that carries it (canLend first). */
  lend(format: MappedFormat, buf: DequeuedBuffer, seq: number, captureTimeMs: number): DmabufFrame {
    const fd = this.fds[buf.index];
    if (fd === undefined) throw new Error(`capture buffer ${buf.index} has no DMABUF fd to lend`);
    this.onLoan.add(buf.index);
    let done = false;
    const giveBack = (): void => {
      if (done) return;
      done = true;
      this.onLoan.delete(buf.index);
      this.onRelease();
      if (!this.open) return;
      try {
        this.queue.requeue(buf.index);
      } catch {
        // the device went away; the session loop notices on its next DQBUF
      }
    };
    const convert = (): Buffer => toI420(format.fourcc as RawPixFmt, buf.data, format.width, format.height, format.bytesperline, Buffer.allocUnsafe(i420Size(format.width, format.height)));
    return new LentFrame(seq, captureTimeMs, format, [{ fd, bytesused: buf.data.length, length: buf.length }], [buf.data], giveBack, convert);
  }

  /** Late releases (the encoder draining) no longer requeue. */
  endSession(): void {
    this.open = false;
  }

  closeFds(): void {
    for (const fd of this.fds.splice(0)) if (fd !== undefined) closeSync(fd);
  }
}

/** A frame still in the capture buffer; `data` converts to I420 only if someone asks. */
class LentFrame implements DmabufFrame {
  private cached: Buffer | undefined;
  readonly width: number;
  readonly height: number;
  constructor(
    readonly seq: number,
    readonly captureTimeMs: number,
    readonly format: MappedFormat,
    readonly planes: readonly DmabufPlane[],
    readonly mapped: readonly Buffer[],
    private readonly giveBack: () => void,
    private readonly convert: () => Buffer,
  ) {
    this.width = format.width;
    this.height = format.height;
  }

  release(): void {
    this.giveBack();
  }

  get data(): Buffer {
    this.cached ??= this.convert();
    return this.cached;
  }
}
