import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExtraIoctl, vd } from './v4l2-binding.js';

/**
 * The few ioctl numbers libv4l2-ts does not list are computed in v4l2-binding.ts from
 * _IOC(dir, 'V', nr, size). Checked here against the kernel's own videodev2.h (the
 * direction and number of each `#define VIDIOC_… _IOWR('V', nr, struct …)`) with the
 * size of the struct as libv4l2-ts lays it out natively.
 */
const HEADER = '/usr/include/linux/videodev2.h';
const dirs: Record<string, number> = { _IOR: 2, _IOW: 1, _IOWR: 3 };

describe('ExtraIoctl matches linux/videodev2.h', () => {
  const header = existsSync(HEADER) ? readFileSync(HEADER, 'latin1') : '';
  it.each(Object.entries(ExtraIoctl))('%s', (name, ours) => {
    expect(header, `${HEADER} is missing: install linux-libc-dev (it comes with gcc)`).not.toBe('');
    const m = new RegExp(`#define\\s+${name}\\s+(_IOWR?|_IOR)\\('V',\\s*(\\d+),\\s*struct (\\w+)\\)`).exec(header);
    expect(m, `${name} in ${HEADER}`).not.toBeNull();
    const [, dir, nr, struct] = m!;
    const size = (vd as unknown as Record<string, { size: number }>)[struct!]!.size;
    const want = ((dirs[dir!]! << 30) | (size << 16) | (0x56 << 8) | Number(nr)) >>> 0;
    expect(ours.toString(16)).toBe(want.toString(16));
  });
});
