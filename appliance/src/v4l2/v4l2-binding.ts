/**
 * The one import point for libv4l2-ts, for capture nodes and M2M codecs alike. Every device
 * call goes through libv4l2's v4l2_open/v4l2_ioctl/v4l2_mmap, never raw open/ioctl: on
 * Jetson, NVIDIA's libv4l2 plugin only works that way, and elsewhere libv4l2 passes
 * straight through to the kernel.
 *
 * Structs, constants and control ids are libv4l2-ts's (videodev2.h and v4l2-controls.h as
 * ref-struct types; their layout is checked natively by that package, so they are right
 * on every ABI); pass `struct.ref()` to ioctl — never call `.ref()` on a plain Buffer
 * (ref-napi adds it to every Buffer; on a plain one it points at the wrong memory and the
 * kernel answers EINVAL). Only what libv4l2-ts lacks is written here: a few ioctl numbers.
 */
import * as lib from 'libv4l2-ts/dist/libv4l2.js';
import * as mman from 'libv4l2-ts/dist/mman.js';
import * as ctrl from 'libv4l2-ts/dist/v4l2_controls.js';
import * as vd from 'libv4l2-ts/dist/videodev2.js';
import { Errno, errnoName } from './v4l2-errno.js';

export { ctrl, mman, vd };
export const { v4l2_mmap, v4l2_munmap } = lib;

/** V4l2CallError is a failed V4L2 call (or open) with its errno, e.g. "VIDIOC_DQBUF on /dev/video0: ENODEV". */
export class V4l2CallError extends Error {
  override readonly name = 'V4l2CallError';
  constructor(
    readonly call: string,
    readonly errno: number,
    readonly path: string,
  ) {
    super(`${call} on ${path}: ${errnoName(errno)}`);
  }
}

/** The errno of anything libv4l2-ts or we threw, or undefined for other errors. */
export function errnoOf(e: unknown): number | undefined {
  if (e instanceof V4l2CallError) return e.errno;
  if (e instanceof lib.V4l2Error) return e.errno;
  return undefined;
}

// ioctl request numbers libv4l2-ts does not list (linux/ioctl.h _IOC encoding, which is
// the same on x86_64 and arm64): dir << 30 | size << 16 | 'V' << 8 | nr, with the size
// taken from libv4l2-ts's struct. v4l2-binding.test.ts checks each against videodev2.h.
const IOC_WRITE = 1;
const IOC_READ = 2;
const ioc = (dir: number, nr: number, size: number): number => ((dir << 30) | (size << 16) | (0x56 << 8) | nr) >>> 0;
/** Extra VIDIOC_* numbers, from videodev2.h. */
export const ExtraIoctl = {
  VIDIOC_S_DV_TIMINGS: ioc(IOC_READ | IOC_WRITE, 87, vd.v4l2_dv_timings.size),
  VIDIOC_G_DV_TIMINGS: ioc(IOC_READ | IOC_WRITE, 88, vd.v4l2_dv_timings.size),
  VIDIOC_DQEVENT: ioc(IOC_READ, 89, vd.v4l2_event.size),
  VIDIOC_SUBSCRIBE_EVENT: ioc(IOC_WRITE, 90, vd.v4l2_event_subscription.size),
  VIDIOC_DECODER_CMD: ioc(IOC_READ | IOC_WRITE, 96, vd.v4l2_decoder_cmd.size),
  VIDIOC_QUERY_DV_TIMINGS: ioc(IOC_READ, 99, vd.v4l2_dv_timings.size),
} as const;

/** The text of a NUL-padded char[] field (driver, card, control names). */
export function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('latin1');
}

/** An `int *` ioctl argument (S_INPUT, STREAMON, …): a plain Buffer, passed as is (no .ref()). */
export function int32Arg(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return b;
}

/** Opens a device node through libv4l2, non-blocking (dequeues never block the event loop). */
export function openNode(path: string): number {
  try {
    return lib.v4l2_open(path, lib_O_RDWR | lib_O_NONBLOCK);
  } catch (e) {
    throw new V4l2CallError('open', errnoOf(e) ?? Errno.EIO, path);
  }
}
const lib_O_RDWR = 2;
const lib_O_NONBLOCK = 0o4000;

export function closeNode(fd: number): void {
  try {
    lib.v4l2_close(fd);
  } catch {
    // Closing a device that was unplugged can fail; the descriptor is gone either way.
  }
}

/** One ioctl, retried on EINTR; failures become V4l2CallError naming the call and path. */
export function ioctl(fd: number, path: string, name: string, request: number, arg: Buffer): void {
  for (;;) {
    try {
      lib.v4l2_ioctl(fd, request, arg);
      return;
    } catch (e) {
      const errno = errnoOf(e);
      if (errno === Errno.EINTR) continue;
      throw new V4l2CallError(name, errno ?? Errno.EIO, path);
    }
  }
}

/**
 * Resolves true when fd is readable (a buffer or an event is ready, or the device failed —
 * select reports POLLERR as readable, so the next DQBUF says why), false after timeoutMs.
 * The select(2) runs on a libuv thread-pool thread (libv4l2-ts's is_readable_async), so
 * waiting for a frame never blocks the event loop; keep timeoutMs short (≤ 250 ms) because
 * it holds one of the pool's four threads, and never close fd while a wait is pending.
 */
export function waitReadable(fd: number, timeoutMs: number): Promise<boolean> {
  return lib.is_readable_async(fd, timeoutMs);
}
