/**
 * The capture queue's buffers, memory-mapped (videodev2 "Streaming I/O (Memory Mapping)"):
 * REQBUFS → QUERYBUF + mmap → QBUF all → STREAMON; then DQBUF / requeue; STREAMOFF,
 * munmap and REQBUFS(0) on release. EXPBUF exports a buffer as a DMABUF fd so an encoder
 * can import it without a copy.
 *
 * Waiting: the fd is non-blocking; dequeue() waits for readability with waitReadable
 * (select on a libuv pool thread, ≤ 200 ms per wait) and then DQBUFs, so the event loop
 * is never blocked and a lost device (select reports it readable) is noticed at once.
 */
import { errnoOf, int32Arg, ioctl, mman, v4l2_mmap, v4l2_munmap, vd, waitReadable } from './v4l2-binding.js';
import { Errno } from './v4l2-errno.js';
import { BUF_TYPE_VIDEO_CAPTURE } from './v4l2-capture-device.js';

const MEMORY_MMAP = vd.v4l2_memory.V4L2_MEMORY_MMAP;
const O_CLOEXEC = 0o2000000;
const O_RDONLY = 0;
const WAIT_SLICE_MS = 200;

/** A filled buffer on loan from the driver until requeue(index). */
export interface DequeuedBuffer {
  index: number;
  /** The mapped bytes actually filled (bytesused), valid only until requeue. Writable (MAP_SHARED). */
  data: Buffer;
  /** The whole buffer's length (v4l2_buffer.length): what a DMABUF importer is told. */
  length: number;
  /** Driver frame counter (v4l2_buffer.sequence); gaps mean the driver dropped frames. */
  sequence: number;
  /** Buffer timestamp in microseconds on CLOCK_MONOTONIC (V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC). */
  timestampUs: number;
  flags: number;
}

interface Node {
  readonly fd: number;
  readonly path: string;
}

/** MmapCaptureQueue owns the capture buffers of one open node. */
export class MmapCaptureQueue {
  private readonly maps: Buffer[] = [];
  private readonly dq = new vd.v4l2_buffer();
  private streaming = false;

  private constructor(private readonly node: Node) {}

  /** Allocates, maps and queues `count` buffers (the driver may grant more or fewer). */
  static create(node: Node, count: number): MmapCaptureQueue {
    const q = new MmapCaptureQueue(node);
    const req = new vd.v4l2_requestbuffers();
    req.count = count;
    req.type = BUF_TYPE_VIDEO_CAPTURE;
    req.memory = MEMORY_MMAP;
    ioctl(node.fd, node.path, 'VIDIOC_REQBUFS', vd.ioctl.VIDIOC_REQBUFS, req.ref());
    if (req.count < 2) throw new Error(`${node.path} granted ${req.count} capture buffers; at least 2 are needed`);
    try {
      for (let index = 0; index < req.count; index++) {
        const b = new vd.v4l2_buffer();
        b.index = index;
        b.type = BUF_TYPE_VIDEO_CAPTURE;
        b.memory = MEMORY_MMAP;
        ioctl(node.fd, node.path, 'VIDIOC_QUERYBUF', vd.ioctl.VIDIOC_QUERYBUF, b.ref());
        q.maps.push(v4l2_mmap(b.length, mman.PROT_READ | mman.PROT_WRITE, mman.MAP_SHARED, node.fd, b.m.offset));
        q.requeue(index);
      }
    } catch (e) {
      q.release();
      throw e;
    }
    return q;
  }

  get count(): number {
    return this.maps.length;
  }

  start(): void {
    ioctl(this.node.fd, this.node.path, 'VIDIOC_STREAMON', vd.ioctl.VIDIOC_STREAMON, typeArg());
    this.streaming = true;
  }

  /**
   * The next filled buffer, or undefined if none arrived within timeoutMs. Throws
   * V4l2CallError on device errors (ENODEV when unplugged, EPIPE/EIO on stream errors).
   */
  async dequeue(timeoutMs: number): Promise<DequeuedBuffer | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const left = deadline - performance.now();
      // Wait first, then DQBUF: libv4l2 prints an error line for every DQBUF that fails
      // with EAGAIN, so never ask before select says a buffer is ready.
      if (await waitReadable(this.node.fd, Math.max(0, Math.min(WAIT_SLICE_MS, Math.ceil(left))))) {
        const got = this.tryDequeue();
        if (got) return got;
      }
      if (deadline - performance.now() <= 0) return undefined;
    }
  }

  private tryDequeue(): DequeuedBuffer | undefined {
    const b = this.dq;
    b.type = BUF_TYPE_VIDEO_CAPTURE;
    b.memory = MEMORY_MMAP;
    try {
      ioctl(this.node.fd, this.node.path, 'VIDIOC_DQBUF', vd.ioctl.VIDIOC_DQBUF, b.ref());
    } catch (e) {
      if (errnoOf(e) === Errno.EAGAIN) return undefined;
      throw e;
    }
    const map = this.maps[b.index];
    if (!map) throw new Error(`${this.node.path} returned buffer ${b.index}, which was never mapped`);
    const ts = b.timestamp;
    return {
      index: b.index,
      data: map.subarray(0, b.bytesused),
      length: map.length,
      sequence: b.sequence,
      timestampUs: Number(ts.tv_sec) * 1e6 + Number(ts.tv_usec),
      flags: b.flags,
    };
  }

  /** Gives buffer `index` back to the driver; its data must not be read afterwards. */
  requeue(index: number): void {
    const b = new vd.v4l2_buffer();
    b.index = index;
    b.type = BUF_TYPE_VIDEO_CAPTURE;
    b.memory = MEMORY_MMAP;
    ioctl(this.node.fd, this.node.path, 'VIDIOC_QBUF', vd.ioctl.VIDIOC_QBUF, b.ref());
  }

  /**
   * VIDIOC_EXPBUF: buffer `index` as a DMABUF file descriptor (read-only, close-on-exec)
   * for zero-copy import into an encoder's OUTPUT queue. The caller closes it
   * (fs.closeSync) when the importer no longer needs it.
   */
  exportDmabuf(index: number): number {
    const e = new vd.v4l2_exportbuffer();
    e.type = BUF_TYPE_VIDEO_CAPTURE;
    e.index = index;
    e.plane = 0;
    e.flags = O_CLOEXEC | O_RDONLY;
    ioctl(this.node.fd, this.node.path, 'VIDIOC_EXPBUF', vd.ioctl.VIDIOC_EXPBUF, e.ref());
    return e.fd;
  }

  /** STREAMOFF, unmap, free the buffers. Best effort: an unplugged device fails every call. */
  release(): void {
    if (this.streaming) {
      try {
        ioctl(this.node.fd, this.node.path, 'VIDIOC_STREAMOFF', vd.ioctl.VIDIOC_STREAMOFF, typeArg());
      } catch {
        // gone already
      }
      this.streaming = false;
    }
    for (const m of this.maps.splice(0)) v4l2_munmap(m);
    try {
      const req = new vd.v4l2_requestbuffers();
      req.count = 0;
      req.type = BUF_TYPE_VIDEO_CAPTURE;
      req.memory = MEMORY_MMAP;
      ioctl(this.node.fd, this.node.path, 'VIDIOC_REQBUFS', vd.ioctl.VIDIOC_REQBUFS, req.ref());
    } catch {
      // gone already; closing the fd frees them
    }
  }
}

/** STREAMON/STREAMOFF take a pointer to the int buffer type. */
function typeArg(): Buffer {
  return int32Arg(BUF_TYPE_VIDEO_CAPTURE);
}
