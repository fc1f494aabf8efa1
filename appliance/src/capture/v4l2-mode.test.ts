import { describe, expect, it } from 'vitest';
import { chooseMode } from './v4l2-mode.js';
import type { ModeOffer } from '../v4l2/v4l2-capture-device.js';

const m = (pixfmt: string, width: number, height: number, fps: number[]): ModeOffer => ({ pixfmt, width, height, fps });
const want720p30 = { width: 1280, height: 720, fps: 30 };

// Offer lists shaped like real dongles (from `v4l2-ctl --list-formats-ext`).
const ms2109 = [m('MJPG', 1920, 1080, [30]), m('MJPG', 1280, 720, [60, 30]), m('YUYV', 1920, 1080, [5]), m('YUYV', 1280, 720, [10])];
const usb3 = [m('MJPG', 1280, 720, [60, 30]), m('YUYV', 1280, 720, [60, 30]), m('NV12', 1280, 720, [60, 30])];

describe('chooseMode', () => {
  it.each([
    { name: 'USB 3 dongle: NV12 beats YUYV and MJPEG', offers: usb3, want: want720p30, pixfmt: 'NV12', size: '1280x720', fps: 30 },
    { name: 'USB 2 MS2109: MJPEG at the rate beats raw at 10 fps', offers: ms2109, want: want720p30, pixfmt: 'MJPG', size: '1280x720', fps: 30 },
    {
      name: 'raw at a lower rate when nothing offers the rate',
      offers: [m('YUYV', 1280, 720, [10])],
      want: want720p30,
      pixfmt: 'YUYV',
      size: '1280x720',
      fps: 10,
    },
    {
      name: 'nearest size when the configured one is missing (vivid webcam sizes)',
      offers: [m('YUYV', 640, 480, [25]), m('YUYV', 1280, 720, [25]), m('YUYV', 1920, 1080, [25])],
      want: { width: 1024, height: 768, fps: 25 },
      pixfmt: 'YUYV',
      size: '1280x720',
      fps: 25,
    },
    {
      name: 'rates within 0.5 fps count (29.97 for 30)',
      offers: [m('UYVY', 1280, 720, [29.97])],
      want: want720p30,
      pixfmt: 'UYVY',
      size: '1280x720',
      fps: 30,
    },
  ])('$name', ({ offers, want, pixfmt, size, fps }) => {
    const got = chooseMode(offers, [], want);
    expect(got?.pixfmt).toBe(pixfmt);
    expect(`${got?.width}x${got?.height}`).toBe(size);
    expect(got?.fps).toBe(fps);
    expect(got?.why).toContain(pixfmt);
  });

  it('takes the wanted size from a stepwise range that holds it (vivid packed formats)', () => {
    const got = chooseMode([m('YU12', 1920, 1080, [30]), { ...m('YUYV', 16384, 8640, [30]), anySize: true }], [], want720p30);
    expect(got).toMatchObject({ pixfmt: 'YUYV', width: 1280, height: 720, fps: 30 });
  });

  it('ignores formats it cannot convert (RGB, H.264)', () => {
    expect(chooseMode([m('RGB3', 1280, 720, [30]), m('H264', 1280, 720, [30])], ['RGB3', 'H264'], want720p30)).toBeUndefined();
  });

  it('takes the best raw format when the driver lists no sizes (HDMI bridge)', () => {
    const got = chooseMode([], ['RGB3', 'UYVY', 'YUYV'], { width: 1920, height: 1080, fps: 60 });
    expect(got).toMatchObject({ pixfmt: 'YUYV', width: 1920, height: 1080, fps: undefined });
  });
});
