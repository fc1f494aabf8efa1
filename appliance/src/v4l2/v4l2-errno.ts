import type { SourceCondition } from '../media/source-condition.js';

/** The errno values V4L2 capture cares about (asm-generic/errno*.h, same on x86_64 and arm64). */
export const Errno = {
  EINTR: 4,
  EIO: 5,
  EAGAIN: 11,
  ENOENT: 2,
  ENXIO: 6,
  EBADF: 9,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ERANGE: 34,
  ENOLCK: 37,
  ENOLINK: 67,
  ENOTTY: 25,
  EPIPE: 32,
} as const;

const names = new Map<number, string>(Object.entries(Errno).map(([k, v]) => [v, k]));

/** "ENODEV" for 19; "errno 123" for numbers we do not name. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `errno ${errno}`;
}

/**
 * What an error from VIDIOC_QUERY_DV_TIMINGS means for the picture (videodev2 docs,
 * "ioctl VIDIOC_QUERY_DV_TIMINGS"): ENOLINK no signal, ENOLCK signal but unstable (no
 * sync), ERANGE timings outside what the receiver supports. Anything else is not a signal
 * condition and returns undefined (the caller treats it as an error).
 */
export function dvConditionFromErrno(errno: number): SourceCondition | undefined {
  switch (errno) {
    case Errno.ENOLINK:
      return 'no-signal';
    case Errno.ENOLCK:
      return 'no-sync';
    case Errno.ERANGE:
      return 'out-of-range';
    default:
      return undefined;
  }
}

/** Errors that mean the device itself went away (unplugged, driver unbound). */
export function isDeviceGone(errno: number | undefined): boolean {
  return errno === Errno.ENODEV || errno === Errno.ENXIO || errno === Errno.ENOENT;
}
