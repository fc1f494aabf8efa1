import { describe, expect, it } from 'vitest';
import { dvConditionFromErrno, Errno, errnoName, isDeviceGone } from './v4l2-errno.js';
import { describeCaps } from './v4l2-capture-device.js';
import { fourcc, fourccText } from './v4l2-fourcc.js';

describe('dvConditionFromErrno (VIDIOC_QUERY_DV_TIMINGS errors)', () => {
  it.each([
    [Errno.ENOLINK, 'no-signal'],
    [Errno.ENOLCK, 'no-sync'],
    [Errno.ERANGE, 'out-of-range'],
    [Errno.EINVAL, undefined],
    [Errno.ENODEV, undefined],
  ])('errno %i → %s', (errno, want) => {
    expect(dvConditionFromErrno(errno)).toBe(want);
  });
});

describe('errno helpers', () => {
  it('names known errnos and numbers the rest', () => {
    expect(errnoName(19)).toBe('ENODEV');
    expect(errnoName(999)).toBe('errno 999');
  });
  it('treats ENODEV and ENXIO as a vanished device, EIO not', () => {
    expect([Errno.ENODEV, Errno.ENXIO, Errno.EIO].map(isDeviceGone)).toEqual([true, true, false]);
  });
});

describe('describeCaps (struct v4l2_capability)', () => {
  const DEVICE_CAPS = 0x8000_0000;
  it.each([
    { name: 'UVC capture node', caps: 0x8420_0001 | DEVICE_CAPS, device: 0x0420_0001, isCapture: true },
    { name: 'UVC metadata node', caps: 0x8420_0001 | DEVICE_CAPS, device: 0x0480_0000, isCapture: false },
    { name: 'vicodec encoder (M2M)', caps: 0x8420_8000 | DEVICE_CAPS, device: 0x0420_8000, isCapture: false },
    { name: 'old driver without device_caps', caps: 0x0400_0001, device: 0, isCapture: true },
  ])('$name', ({ caps, device, isCapture }) => {
    expect(describeCaps(caps >>> 0, device >>> 0).isCapture).toBe(isCapture);
  });
});

describe('fourcc', () => {
  it.each([
    ['YUYV', 0x56595559],
    ['NV12', 0x3231564e],
    ['MJPG', 0x47504a4d],
  ])('%s ↔ 0x%s', (text, value) => {
    expect(fourcc(text)).toBe(value);
    expect(fourccText(value)).toBe(text);
  });
});
