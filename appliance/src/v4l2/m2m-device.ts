/**
 * M2mDevice: one open V4L2 video node, driven through libv4l2 (v4l2_open/v4l2_ioctl/
 * v4l2_mmap) rather than raw syscalls, because NVIDIA's Jetson encoder exists only behind
 * its libv4l2 plugin. Thin I/O over the pure structs in m2m-abi.ts; the order of calls
 * (the kernel's "Memory-to-Memory Stateful Video Encoder Interface") is the caller's job.
 *
 * Contracts:
 * - The fd is opened O_NONBLOCK: dequeue() returns undefined when nothing is ready and
 *   never blocks the event loop; waitReadable() polls on a libuv worker thread.
 * - mmap'd memory lives until close(); Buffers returned by mapBuffers() are views of it
 *   and must not be touched after close() (copy data out before requeueing).
 * - Errors are thrown as V4l2CallError with the ioctl name and errno.
 * Works for a capture-only node too (the hw-tests drive vivid with it for DMABUF export).
 */
import { constants as fsConstants } from 'node:fs';
import { createRequire } from 'node:module';
import v4l2ts from 'libv4l2-ts';
import * as abi from './m2m-abi.js';
import type { BufferInfo, Capability, ControlInfo, MemoryKind, PixFormat } from './m2m-abi.js';

const { libv4l2, mman } = v4l2ts;
// ref-napi is what libv4l2-ts itself uses for pointers; resolve the very copy it loads.
const ref = createRequire(createRequire(import.meta.url).resolve('libv4l2-ts'))('ref-napi') as { address(b: Buffer): number };

/** A failed V4L2 call: which ioctl, on which node, and the errno. */
export class V4l2CallError extends Error {
  override readonly name = 'V4l2CallError';
  constructor(
    readonly call: string,
    readonly errno: number,
    readonly device: string,
    detail: string,
  ) {
    super(`${call} on ${device} failed: ${detail} (errno ${errno})`);
  }
}

export type QueueKind = 'output' | 'capture';

/** One buffer of a queue as mapped into our memory (MMAP) or just its index (DMABUF). */
export interface MappedBuffer {
  readonly index: number;
  /** One view per memory plane; empty for DMABUF queues. */
  readonly planes: readonly Buffer[];
}

export class M2mDevice {
  readonly caps: Capability;
  /** Buffer API of the node: 'multi' for VIDEO_M2M_MPLANE (bcm2835-codec), else 'single'. */
  readonly planes: 'single' | 'multi';
  private readonly types: { output: number; capture: number };
  private readonly numPlanes = { output: 1, capture: 1 };
  private readonly mapped: { output: Buffer[]; capture: Buffer[] } = { output: [], capture: [] };
  private readonly memory: { output: number; capture: number } = { output: abi.Memory.mmap, capture: abi.Memory.mmap };
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {
    try {
      const b = Buffer.alloc(abi.SIZE.capability);
      this.ioctl('VIDIOC_QUERYCAP', abi.Ioctl.querycap, b);
      this.caps = abi.parseCapability(b);
    } catch (e) {
      libv4l2.v4l2_close(fd);
      throw e;
    }
    const m2m = abi.m2mPlanes(this.caps.caps);
    if (m2m) this.planes = m2m;
    else this.planes = this.caps.caps & abi.Cap.videoCaptureMplane ? 'multi' : 'single';
    this.types = abi.bufTypes(this.planes);
  }

  /** Opens a node read-write and non-blocking through libv4l2, and queries its caps. */
  static open(path: string): M2mDevice {
    abi.assertLp64();
    let fd: number;
    try {
      fd = libv4l2.v4l2_open(path, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
    } catch (e) {
      const err = e as { errno?: number; message?: string };
      throw new V4l2CallError('open', err.errno ?? 0, path, err.message ?? String(e));
    }
    return new M2mDevice(path, fd);
  }

  /** True when the node is a memory-to-memory device (an encoder or decoder). */
  get isM2m(): boolean {
    return abi.m2mPlanes(this.caps.caps) !== undefined;
  }

  typeOf(q: QueueKind): number {
    return this.types[q];
  }

  /** The pixel formats a queue offers (VIDIOC_ENUM_FMT), in the driver's order. */
  enumFormats(q: QueueKind): number[] {
    const out: number[] = [];
    for (let i = 0; i < 64; i++) {
      const b = abi.fmtdesc(this.types[q], i);
      try {
        this.ioctl('VIDIOC_ENUM_FMT', abi.Ioctl.enumFmt, b);
      } catch (e) {
        if (e instanceof V4l2CallError && e.errno === abi.Errno.EINVAL) break;
        throw e;
      }
      out.push(abi.fmtdescPixelformat(b));
    }
    return out;
  }

  /** VIDIOC_S_FMT; returns what the driver actually set (it may adjust size and strides). */
  setFormat(q: QueueKind, f: { width: number; height: number; pixelformat: number; sizeimage?: number }): PixFormat {
    const b = abi.format(this.types[q], f);
    this.ioctl('VIDIOC_S_FMT', abi.Ioctl.sFmt, b);
    const got = abi.parseFormat(b);
    this.numPlanes[q] = Math.max(1, got.planes.length);
    return got;
  }

  getFormat(q: QueueKind): PixFormat {
    const b = abi.format(this.types[q], { width: 0, height: 0, pixelformat: 0 });
    this.ioctl('VIDIOC_G_FMT', abi.Ioctl.gFmt, b);
    return abi.parseFormat(b);
  }

  /** S_PARM on a queue; returns the rate the driver accepted, or undefined if it has none. */
  setFrameRate(q: QueueKind, fps: number): number | undefined {
    const b = abi.streamparm(this.types[q], fps);
    try {
      this.ioctl('VIDIOC_S_PARM', abi.Ioctl.sParm, b);
    } catch (e) {
      if (e instanceof V4l2CallError && (e.errno === abi.Errno.ENOTTY || e.errno === abi.Errno.EINVAL)) return undefined;
      throw e;
    }
    return abi.streamparmFps(b);
  }

  /** VIDIOC_QUERYCTRL; undefined when the driver does not have the control (or disables it). */
  queryControl(id: number): ControlInfo | undefined {
    const b = abi.queryctrl(id);
    try {
      this.ioctl('VIDIOC_QUERYCTRL', abi.Ioctl.queryctrl, b);
    } catch (e) {
      if (e instanceof V4l2CallError && (e.errno === abi.Errno.EINVAL || e.errno === abi.Errno.ENOTTY)) return undefined;
      throw e;
    }
    const info = abi.parseQueryctrl(b);
    return info.flags & abi.CTRL_FLAG_DISABLED ? undefined : info;
  }

  setControl(id: number, value: number): void {
    this.ioctl('VIDIOC_S_CTRL', abi.Ioctl.sCtrl, abi.control(id, value));
  }

  getControl(id: number): number {
    const b = abi.control(id, 0);
    this.ioctl('VIDIOC_G_CTRL', abi.Ioctl.gCtrl, b);
    return abi.controlValue(b);
  }

  /** VIDIOC_REQBUFS; count 0 frees the queue's buffers. Returns the count the driver gave. */
  requestBuffers(q: QueueKind, count: number, memory: MemoryKind): number {
    if (count === 0) this.unmap(q);
    const b = abi.requestbuffers(this.types[q], abi.memoryCode(memory), count);
    this.ioctl('VIDIOC_REQBUFS', abi.Ioctl.reqbufs, b);
    this.memory[q] = abi.memoryCode(memory);
    return abi.requestbuffersCount(b);
  }

  /** QUERYBUF + mmap of every plane of buffers 0..count-1 of an MMAP queue. */
  mapBuffers(q: QueueKind, count: number): MappedBuffer[] {
    const out: MappedBuffer[] = [];
    for (let index = 0; index < count; index++) {
      const info = this.call('VIDIOC_QUERYBUF', abi.Ioctl.querybuf, q, { index });
      const planes = info.planes.map((p) => {
        const view = libv4l2.v4l2_mmap(p.length, mman.PROT_READ | mman.PROT_WRITE, mman.MAP_SHARED, this.fd, p.offset);
        this.mapped[q].push(view);
        return view;
      });
      out.push({ index, planes });
    }
    return out;
  }

  /**
   * VIDIOC_QBUF. For OUTPUT, bytesused per plane and the timestamp the driver copies to
   * the CAPTURE buffer it produces; for a DMABUF queue, the fd (and length) of each plane.
   */
  queue(q: QueueKind, index: number, opts: { planes?: readonly { bytesused?: number; length?: number; fd?: number }[]; timestampUs?: bigint } = {}): void {
    this.call('VIDIOC_QBUF', abi.Ioctl.qbuf, q, { index, ...opts });
  }

  /**
   * Non-blocking VIDIOC_DQBUF: the buffer, undefined when none is ready (EAGAIN), or 'eos'
   * when the CAPTURE queue has already returned its LAST buffer (EPIPE).
   */
  dequeue(q: QueueKind): BufferInfo | 'eos' | undefined {
    try {
      return this.call('VIDIOC_DQBUF', abi.Ioctl.dqbuf, q, { index: 0 });
    } catch (e) {
      if (e instanceof V4l2CallError && e.errno === abi.Errno.EAGAIN) return undefined;
      if (e instanceof V4l2CallError && e.errno === abi.Errno.EPIPE) return 'eos';
      throw e;
    }
  }

  streamOn(q: QueueKind): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(this.types[q], 0);
    this.ioctl('VIDIOC_STREAMON', abi.Ioctl.streamon, b);
  }

  streamOff(q: QueueKind): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(this.types[q], 0);
    this.ioctl('VIDIOC_STREAMOFF', abi.Ioctl.streamoff, b);
  }

  /** VIDIOC_ENCODER_CMD (V4L2_ENC_CMD_STOP starts a drain). */
  encoderCommand(cmd: number): void {
    this.ioctl('VIDIOC_ENCODER_CMD', abi.Ioctl.encoderCmd, abi.encoderCmd(cmd));
  }

  /** VIDIOC_DECODER_CMD (V4L2_DEC_CMD_STOP starts a drain: dev-decoder.rst "Drain"). */
  decoderCommand(cmd: number): void {
    this.ioctl('VIDIOC_DECODER_CMD', abi.Ioctl.decoderCmd, abi.decoderCmd(cmd));
  }

  /** VIDIOC_SUBSCRIBE_EVENT for one event type (e.g. V4L2_EVENT_SOURCE_CHANGE). */
  subscribeEvent(type: number): void {
    this.ioctl('VIDIOC_SUBSCRIBE_EVENT', abi.Ioctl.subscribeEvent, abi.eventSubscription(type));
  }

  /** VIDIOC_DQEVENT without blocking: the next pending event, or undefined (ENOENT). */
  dequeueEvent(): abi.V4l2Event | undefined {
    const b = Buffer.alloc(abi.SIZE.event);
    try {
      this.ioctl('VIDIOC_DQEVENT', abi.Ioctl.dqevent, b);
    } catch (e) {
      if (e instanceof V4l2CallError && e.errno === abi.Errno.ENOENT) return undefined;
      throw e;
    }
    return abi.parseEvent(b);
  }

  /** VIDIOC_EXPBUF: a DMABUF fd for one plane of one MMAP buffer (closed by the caller). */
  exportBuffer(q: QueueKind, index: number, plane = 0): number {
    const b = abi.exportbuffer(this.types[q], index, plane, fsConstants.O_RDWR | 0o2000000 /* O_CLOEXEC */);
    this.ioctl('VIDIOC_EXPBUF', abi.Ioctl.expbuf, b);
    return abi.exportbufferFd(b);
  }

  /** Resolves within timeoutMs: true when a CAPTURE buffer (or an error) is ready to dequeue. */
  waitReadable(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return libv4l2.is_readable_async(this.fd, timeoutMs);
  }

  /** Unmaps everything and closes the fd; safe to call twice. Streams must be off first. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unmap('output');
    this.unmap('capture');
    libv4l2.v4l2_close(this.fd);
  }

  private unmap(q: QueueKind): void {
    for (const view of this.mapped[q]) libv4l2.v4l2_munmap(view);
    this.mapped[q] = [];
  }

  private call(name: string, request: number, q: QueueKind, a: { index: number; planes?: readonly { bytesused?: number; length?: number; fd?: number }[]; timestampUs?: bigint }): BufferInfo {
    const type = this.types[q];
    const { buf, planes } = abi.buffer({ type, memory: this.memory[q], ...a }, this.numPlanes[q]);
    if (planes) abi.setPlanesPointer(buf, BigInt(ref.address(planes)));
    this.ioctl(name, request, buf);
    return abi.parseBuffer(buf, planes);
  }

  private ioctl(name: string, request: number, arg: Buffer): void {
    if (this.closed) throw new V4l2CallError(name, 9, this.path, 'device already closed');
    try {
      libv4l2.v4l2_ioctl(this.fd, request, arg);
    } catch (e) {
      const err = e as { errno?: number; message?: string };
      throw new V4l2CallError(name, err.errno ?? 0, this.path, err.message ?? String(e));
    }
  }
}

/** Frees both queues' buffers and closes, ignoring errors: for teardown after a failure. */
export function closeQuietly(dev: M2mDevice): void {
  for (const q of ['output', 'capture'] as const) {
    try {
      dev.requestBuffers(q, 0, 'mmap');
    } catch {
      /* REQBUFS 0 can fail on a dead node; close() below releases the buffers anyway */
    }
  }
  try {
    dev.close();
  } catch {
    /* already closed */
  }
}
