/**
 * M2mDevice: one open V4L2 video node with an OUTPUT and a CAPTURE queue (a stateful
 * codec), driven through libv4l2 like every other node (v4l2-binding.ts), because NVIDIA's
 * Jetson encoder exists only behind its libv4l2 plugin. Thin I/O with libv4l2-ts's structs
 * (videodev2.h); the order of calls (the kernel's "Memory-to-Memory Stateful Video
 * Encoder/Decoder Interface") is the caller's job.
 *
 * Contracts:
 * - The fd is opened O_NONBLOCK: dequeue() returns undefined when nothing is ready and
 *   never blocks the event loop; waitReadable() polls on a libuv worker thread.
 * - mmap'd memory lives until close(); Buffers returned by mapBuffers() are views of it
 *   and must not be touched after close() (copy data out before requeueing).
 * - Errors are thrown as V4l2CallError with the ioctl name and errno.
 * Works for a capture-only node too (the hw-tests drive vivid with it for DMABUF export).
 */
import { closeNode, cString, ExtraIoctl, int32Arg, ioctl, mman, openNode, V4l2CallError, v4l2_mmap, v4l2_munmap, vd, waitReadable } from './v4l2-binding.js';
import { Errno } from './v4l2-errno.js';
import { bufTypes, m2mPlanes, memoryCode, type MemoryKind, type QueueKind } from './m2m-queues.js';

export type { MemoryKind, QueueKind } from './m2m-queues.js';

/** struct v4l2_capability, read. */
export interface Capability {
  readonly driver: string;
  readonly card: string;
  readonly busInfo: string;
  /** device_caps when the driver reports it (V4L2_CAP_DEVICE_CAPS), else capabilities. */
  readonly caps: number;
}

/** The format a queue has (S_FMT's answer or G_FMT). */
export interface PixFormat {
  readonly width: number;
  readonly height: number;
  readonly pixelformat: number;
  /** Per memory plane: bytes per line and the size of the plane buffer. */
  readonly planes: readonly { readonly bytesperline: number; readonly sizeimage: number }[];
}

/** A dequeued buffer: which one, its flags and timestamp, and each plane's payload. */
export interface BufferInfo {
  readonly index: number;
  readonly flags: number;
  readonly sequence: number;
  readonly timestampUs: bigint;
  /** Per plane: bytes used, buffer length, and the mmap offset (MMAP memory). */
  readonly planes: readonly { readonly bytesused: number; readonly length: number; readonly offset: number; readonly dataOffset: number }[];
}

/** struct v4l2_queryctrl, read. */
export interface ControlInfo {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly minimum: number;
  readonly maximum: number;
  readonly step: number;
  readonly defaultValue: number;
  readonly flags: number;
}

/** VIDIOC_DQEVENT's answer, for the events a codec raises. */
export interface V4l2Event {
  readonly type: number;
  /** u.src_change.changes for V4L2_EVENT_SOURCE_CHANGE. */
  readonly changes: number;
  readonly pending: number;
}

/** One buffer of a queue as mapped into our memory (MMAP) or just its index (DMABUF). */
export interface MappedBuffer {
  readonly index: number;
  /** One view per memory plane; empty for DMABUF queues. */
  readonly planes: readonly Buffer[];
}

/** What QBUF takes per plane: bytes used (OUTPUT) and, for DMABUF, the fd and its length. */
export interface QueuePlane {
  readonly bytesused?: number;
  readonly length?: number;
  readonly fd?: number;
}

const O_CLOEXEC = 0o2000000;
const O_RDWR = 2;

export class M2mDevice {
  readonly caps: Capability;
  /** Buffer API of the node: 'multi' for VIDEO_M2M_MPLANE (bcm2835-codec), else 'single'. */
  readonly planes: 'single' | 'multi';
  private readonly types: { output: number; capture: number };
  private readonly numPlanes = { output: 1, capture: 1 };
  private readonly mapped: { output: Buffer[]; capture: Buffer[] } = { output: [], capture: [] };
  private readonly memory: { output: number; capture: number } = { output: vd.v4l2_memory.V4L2_MEMORY_MMAP, capture: vd.v4l2_memory.V4L2_MEMORY_MMAP };
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {
    try {
      const c = new vd.v4l2_capability();
      this.ioctl('VIDIOC_QUERYCAP', vd.ioctl.VIDIOC_QUERYCAP, c.ref());
      const capabilities = c.capabilities >>> 0;
      this.caps = {
        driver: cString(c.driver.buffer),
        card: cString(c.card.buffer),
        busInfo: cString(c.bus_info.buffer),
        caps: capabilities & vd.V4L2_CAP_DEVICE_CAPS ? c.device_caps >>> 0 : capabilities,
      };
    } catch (e) {
      closeNode(fd);
      throw e;
    }
    this.planes = m2mPlanes(this.caps.caps) ?? (this.caps.caps & vd.V4L2_CAP_VIDEO_CAPTURE_MPLANE ? 'multi' : 'single');
    this.types = bufTypes(this.planes);
  }

  /** Opens a node read-write and non-blocking through libv4l2, and queries its caps. */
  static open(path: string): M2mDevice {
    assertLp64();
    return new M2mDevice(path, openNode(path));
  }

  /** True when the node is a memory-to-memory device (an encoder or decoder). */
  get isM2m(): boolean {
    return m2mPlanes(this.caps.caps) !== undefined;
  }

  typeOf(q: QueueKind): number {
    return this.types[q];
  }

  /** The pixel formats a queue offers (VIDIOC_ENUM_FMT), in the driver's order. */
  enumFormats(q: QueueKind): number[] {
    const out: number[] = [];
    for (let i = 0; i < 64; i++) {
      const d = new vd.v4l2_fmtdesc();
      d.index = i;
      d.type = this.types[q];
      try {
        this.ioctl('VIDIOC_ENUM_FMT', vd.ioctl.VIDIOC_ENUM_FMT, d.ref());
      } catch (e) {
        if (e instanceof V4l2CallError && e.errno === Errno.EINVAL) break;
        throw e;
      }
      out.push(d.pixelformat >>> 0);
    }
    return out;
  }

  /**
   * VIDIOC_S_FMT; returns what the driver actually set (it may adjust size and strides).
   * A sizeimage of 0 lets the driver choose (it must for raw formats; for coded formats it
   * is our request for the CAPTURE buffer size).
   */
  setFormat(q: QueueKind, f: { width: number; height: number; pixelformat: number; sizeimage?: number }): PixFormat {
    const fmt = this.format(q);
    if (this.planes === 'multi') {
      const p = fmt.fmt.pix_mp;
      p.width = f.width;
      p.height = f.height;
      p.pixelformat = f.pixelformat;
      p.field = vd.v4l2_field.V4L2_FIELD_NONE;
      p.plane_fmt[0]!.sizeimage = f.sizeimage ?? 0;
      p.num_planes = 1;
    } else {
      const p = fmt.fmt.pix;
      p.width = f.width;
      p.height = f.height;
      p.pixelformat = f.pixelformat;
      p.field = vd.v4l2_field.V4L2_FIELD_NONE;
      p.sizeimage = f.sizeimage ?? 0;
    }
    this.ioctl('VIDIOC_S_FMT', vd.ioctl.VIDIOC_S_FMT, fmt.ref());
    const got = this.readFormat(fmt);
    this.numPlanes[q] = Math.max(1, got.planes.length);
    return got;
  }

  getFormat(q: QueueKind): PixFormat {
    const fmt = this.format(q);
    this.ioctl('VIDIOC_G_FMT', vd.ioctl.VIDIOC_G_FMT, fmt.ref());
    return this.readFormat(fmt);
  }

  /** S_PARM on a queue; returns the rate the driver accepted, or undefined if it has none. */
  setFrameRate(q: QueueKind, fps: number): number | undefined {
    const p = new vd.v4l2_streamparm();
    p.type = this.types[q];
    // timeperframe sits at the same place in parm.capture and parm.output.
    const t = q === 'output' ? p.parm.output.timeperframe : p.parm.capture.timeperframe;
    t.numerator = 1000;
    t.denominator = Math.round(fps * 1000);
    try {
      this.ioctl('VIDIOC_S_PARM', vd.ioctl.VIDIOC_S_PARM, p.ref());
    } catch (e) {
      if (e instanceof V4l2CallError && (e.errno === Errno.ENOTTY || e.errno === Errno.EINVAL)) return undefined;
      throw e;
    }
    const got = q === 'output' ? p.parm.output.timeperframe : p.parm.capture.timeperframe;
    return got.numerator ? got.denominator / got.numerator : undefined;
  }

  /** VIDIOC_QUERYCTRL; undefined when the driver does not have the control (or disables it). */
  queryControl(id: number): ControlInfo | undefined {
    const c = new vd.v4l2_queryctrl();
    c.id = id;
    try {
      this.ioctl('VIDIOC_QUERYCTRL', vd.ioctl.VIDIOC_QUERYCTRL, c.ref());
    } catch (e) {
      if (e instanceof V4l2CallError && (e.errno === Errno.EINVAL || e.errno === Errno.ENOTTY)) return undefined;
      throw e;
    }
    if (c.flags & vd.V4L2_CTRL_FLAG_DISABLED) return undefined;
    return { id: c.id >>> 0, type: c.type, name: cString(c.name.buffer), minimum: c.minimum, maximum: c.maximum, step: c.step, defaultValue: c.default_value, flags: c.flags >>> 0 };
  }

  setControl(id: number, value: number): void {
    const c = new vd.v4l2_control();
    c.id = id;
    c.value = value;
    this.ioctl('VIDIOC_S_CTRL', vd.ioctl.VIDIOC_S_CTRL, c.ref());
  }

  getControl(id: number): number {
    const c = new vd.v4l2_control();
    c.id = id;
    this.ioctl('VIDIOC_G_CTRL', vd.ioctl.VIDIOC_G_CTRL, c.ref());
    return c.value;
  }

  /** VIDIOC_REQBUFS; count 0 frees the queue's buffers. Returns the count the driver gave. */
  requestBuffers(q: QueueKind, count: number, memory: MemoryKind): number {
    if (count === 0) this.unmap(q);
    const r = new vd.v4l2_requestbuffers();
    r.count = count;
    r.type = this.types[q];
    r.memory = memoryCode(memory);
    this.ioctl('VIDIOC_REQBUFS', vd.ioctl.VIDIOC_REQBUFS, r.ref());
    this.memory[q] = memoryCode(memory);
    return r.count;
  }

  /** QUERYBUF + mmap of every plane of buffers 0..count-1 of an MMAP queue. */
  mapBuffers(q: QueueKind, count: number): MappedBuffer[] {
    const out: MappedBuffer[] = [];
    for (let index = 0; index < count; index++) {
      const info = this.bufferCall('VIDIOC_QUERYBUF', vd.ioctl.VIDIOC_QUERYBUF, q, index);
      const planes = info.planes.map((p) => {
        const view = v4l2_mmap(p.length, mman.PROT_READ | mman.PROT_WRITE, mman.MAP_SHARED, this.fd, p.offset);
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
  queue(q: QueueKind, index: number, opts: { planes?: readonly QueuePlane[]; timestampUs?: bigint } = {}): void {
    this.bufferCall('VIDIOC_QBUF', vd.ioctl.VIDIOC_QBUF, q, index, opts.planes, opts.timestampUs);
  }

  /**
   * Non-blocking VIDIOC_DQBUF: the buffer, undefined when none is ready (EAGAIN), or 'eos'
   * when the CAPTURE queue has already returned its LAST buffer (EPIPE).
   */
  dequeue(q: QueueKind): BufferInfo | 'eos' | undefined {
    try {
      return this.bufferCall('VIDIOC_DQBUF', vd.ioctl.VIDIOC_DQBUF, q, 0);
    } catch (e) {
      if (e instanceof V4l2CallError && e.errno === Errno.EAGAIN) return undefined;
      if (e instanceof V4l2CallError && e.errno === Errno.EPIPE) return 'eos';
      throw e;
    }
  }

  /**
   * Dequeues buffers of a queue until none is ready or onBuffer returns true (stop here).
   * Returns true when the queue answered EPIPE: its LAST buffer was dequeued already.
   */
  dequeueEach(q: QueueKind, onBuffer: (b: BufferInfo) => boolean): boolean {
    for (;;) {
      const b = this.dequeue(q);
      if (b === undefined) return false;
      if (b === 'eos') return true;
      if (onBuffer(b)) return false;
    }
  }

  streamOn(q: QueueKind): void {
    this.ioctl('VIDIOC_STREAMON', vd.ioctl.VIDIOC_STREAMON, int32Arg(this.types[q]));
  }

  streamOff(q: QueueKind): void {
    this.ioctl('VIDIOC_STREAMOFF', vd.ioctl.VIDIOC_STREAMOFF, int32Arg(this.types[q]));
  }

  /** VIDIOC_ENCODER_CMD (V4L2_ENC_CMD_STOP starts a drain). */
  encoderCommand(cmd: number): void {
    const c = new vd.v4l2_encoder_cmd();
    c.cmd = cmd;
    this.ioctl('VIDIOC_ENCODER_CMD', vd.ioctl.VIDIOC_ENCODER_CMD, c.ref());
  }

  /** VIDIOC_DECODER_CMD (V4L2_DEC_CMD_STOP starts a drain: dev-decoder.rst "Drain"). */
  decoderCommand(cmd: number): void {
    const c = new vd.v4l2_decoder_cmd();
    c.cmd = cmd;
    this.ioctl('VIDIOC_DECODER_CMD', ExtraIoctl.VIDIOC_DECODER_CMD, c.ref());
  }

  /** VIDIOC_SUBSCRIBE_EVENT for one event type (e.g. V4L2_EVENT_SOURCE_CHANGE). */
  subscribeEvent(type: number): void {
    const s = new vd.v4l2_event_subscription();
    s.type = type;
    this.ioctl('VIDIOC_SUBSCRIBE_EVENT', ExtraIoctl.VIDIOC_SUBSCRIBE_EVENT, s.ref());
  }

  /** VIDIOC_DQEVENT without blocking: the next pending event, or undefined (ENOENT). */
  dequeueEvent(): V4l2Event | undefined {
    const e = new vd.v4l2_event();
    try {
      this.ioctl('VIDIOC_DQEVENT', ExtraIoctl.VIDIOC_DQEVENT, e.ref());
    } catch (err) {
      if (err instanceof V4l2CallError && err.errno === Errno.ENOENT) return undefined;
      throw err;
    }
    // libv4l2-ts declares u.src_change without its one field; read it through its own struct.
    const changes = new vd.v4l2_event_src_change((e.u as unknown as { ref(): Buffer }).ref()).changes;
    return { type: e.type, changes, pending: e.pending };
  }

  /** VIDIOC_EXPBUF: a DMABUF fd for one plane of one MMAP buffer (closed by the caller). */
  exportBuffer(q: QueueKind, index: number, plane = 0): number {
    const x = new vd.v4l2_exportbuffer();
    x.type = this.types[q];
    x.index = index;
    x.plane = plane;
    x.flags = O_RDWR | O_CLOEXEC;
    this.ioctl('VIDIOC_EXPBUF', vd.ioctl.VIDIOC_EXPBUF, x.ref());
    return x.fd;
  }

  /** Resolves within timeoutMs: true when a CAPTURE buffer (or an error) is ready to dequeue. */
  waitReadable(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return waitReadable(this.fd, timeoutMs);
  }

  /** Unmaps everything and closes the fd; safe to call twice. Streams must be off first. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unmap('output');
    this.unmap('capture');
    closeNode(this.fd);
  }

  private unmap(q: QueueKind): void {
    for (const view of this.mapped[q]) v4l2_munmap(view);
    this.mapped[q] = [];
  }

  private format(q: QueueKind): InstanceType<typeof vd.v4l2_format> {
    const f = new vd.v4l2_format();
    f.type = this.types[q];
    return f;
  }

  private readFormat(f: InstanceType<typeof vd.v4l2_format>): PixFormat {
    if (this.planes !== 'multi') {
      const p = f.fmt.pix;
      return { width: p.width, height: p.height, pixelformat: p.pixelformat >>> 0, planes: [{ bytesperline: p.bytesperline, sizeimage: p.sizeimage }] };
    }
    const p = f.fmt.pix_mp;
    const planes = [];
    for (let i = 0; i < Math.min(vd.VIDEO_MAX_PLANES, p.num_planes); i++) planes.push({ sizeimage: p.plane_fmt[i]!.sizeimage, bytesperline: p.plane_fmt[i]!.bytesperline });
    return { width: p.width, height: p.height, pixelformat: p.pixelformat >>> 0, planes };
  }

  /**
   * QBUF/QUERYBUF/DQBUF on struct v4l2_buffer; multi-planar queues carry their per-plane
   * data in a v4l2_plane array that m.planes points at (numPlanes long).
   */
  private bufferCall(name: string, request: number, q: QueueKind, index: number, planes?: readonly QueuePlane[], timestampUs?: bigint): BufferInfo {
    const memory = this.memory[q];
    const dmabuf = memory === vd.v4l2_memory.V4L2_MEMORY_DMABUF;
    const b = new vd.v4l2_buffer();
    b.index = index;
    b.type = this.types[q];
    b.field = vd.v4l2_field.V4L2_FIELD_NONE;
    b.memory = memory;
    if (timestampUs !== undefined) {
      b.timestamp.tv_sec = Number(timestampUs / 1_000_000n);
      b.timestamp.tv_usec = Number(timestampUs % 1_000_000n);
    }
    const n = this.numPlanes[q];
    let array: InstanceType<typeof vd.v4l2_plane>[] | undefined;
    let arrayMemory: Buffer | undefined;
    if (this.planes === 'multi') {
      arrayMemory = Buffer.alloc(vd.v4l2_plane.size * n);
      array = Array.from({ length: n }, (_, i) => new vd.v4l2_plane(arrayMemory!.subarray(i * vd.v4l2_plane.size, (i + 1) * vd.v4l2_plane.size)));
      array.forEach((p, i) => {
        const want = planes?.[i];
        p.bytesused = want?.bytesused ?? 0;
        if (want?.length !== undefined) p.length = want.length;
        if (dmabuf && want?.fd !== undefined) p.m.fd = want.fd;
      });
      b.m.planes = arrayMemory as never;
      b.length = n; // the number of planes, for multi-planar types
    } else {
      const want = planes?.[0];
      b.bytesused = want?.bytesused ?? 0;
      if (dmabuf && want?.fd !== undefined) b.m.fd = want.fd;
      if (want?.length !== undefined) b.length = want.length;
    }
    this.ioctl(name, request, b.ref());
    const timestamp = BigInt(b.timestamp.tv_sec) * 1_000_000n + BigInt(b.timestamp.tv_usec);
    const common = { index: b.index, flags: b.flags >>> 0, sequence: b.sequence, timestampUs: timestamp };
    if (!array) return { ...common, planes: [{ bytesused: b.bytesused, length: b.length, offset: b.m.offset, dataOffset: 0 }] };
    // A plane's payload starts data_offset bytes in (bytesused counts from the plane start).
    return { ...common, planes: array.slice(0, Math.min(b.length, n)).map((p) => ({ bytesused: p.bytesused, length: p.length, offset: p.m.mem_offset, dataOffset: p.data_offset })) };
  }

  private ioctl(name: string, request: number, arg: Buffer): void {
    if (this.closed) throw new V4l2CallError(name, Errno.EBADF, this.path);
    ioctl(this.fd, this.path, name, request, arg);
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

/**
 * The M2M path is built and tested for 64-bit user space only (every board image is
 * arm64 or amd64); refuse a 32-bit one with a clear message rather than guess at its
 * time_t (32-bit ARM Debian moved to a 64-bit time_t, which `long` no longer describes).
 */
export function assertLp64(arch: string = process.arch): void {
  if (arch !== 'x64' && arch !== 'arm64') {
    throw new Error(`V4L2 M2M plumbing is written for 64-bit user space (x64, arm64); this is ${arch}. Use a 64-bit OS image.`);
  }
}
