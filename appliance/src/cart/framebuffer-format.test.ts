import { describe, expect, it } from 'vitest';
import { createCanvas, fillRect } from './canvas.js';
import type { DisplayGeometry } from './framebuffer-format.js';
import { canvasToFramebuffer, framebufferToCanvas, packedGeometry, parseFramebufferSysfs } from './framebuffer-format.js';

describe('canvasToFramebuffer: one pixel in each format', () => {
  const cases: { name: string; rgb: number; rgb565: string; xrgb8888: string }[] = [
    // RGB565 is a u16 LE: R[15:11] G[10:5] B[4:0]. XRGB8888 bytes are B, G, R, X.
    { name: 'black', rgb: 0x000000, rgb565: '0000', xrgb8888: '000000ff' },
    { name: 'white', rgb: 0xffffff, rgb565: 'ffff', xrgb8888: 'ffffffff' },
    { name: 'red', rgb: 0xff0000, rgb565: '00f8', xrgb8888: '0000ffff' },
    { name: 'green', rgb: 0x00ff00, rgb565: 'e007', xrgb8888: '00ff00ff' },
    { name: 'blue', rgb: 0x0000ff, rgb565: '1f00', xrgb8888: 'ff0000ff' },
    { name: 'amber 0xffc14d', rgb: 0xffc14d, rgb565: '09fe', xrgb8888: '4dc1ffff' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const canvas = createCanvas(1, 1, c.rgb);
      expect(canvasToFramebuffer(canvas, packedGeometry(1, 1, 'rgb565')).toString('hex')).toBe(c.rgb565);
      expect(canvasToFramebuffer(canvas, packedGeometry(1, 1, 'xrgb8888')).toString('hex')).toBe(c.xrgb8888);
    });
  }
});

describe('stride', () => {
  it('pads each row to the stride with zeros and reads it back', () => {
    const canvas = createCanvas(2, 2, 0x000000);
    fillRect(canvas, 1, 1, 1, 1, 0xffffff);
    const g: DisplayGeometry = { width: 2, height: 2, stride: 8, format: 'rgb565' };
    const bytes = canvasToFramebuffer(canvas, g);
    expect(bytes.toString('hex')).toBe('0000000000000000' + '0000ffff00000000');
    expect(framebufferToCanvas(bytes, g)).toEqual(canvas);
  });

  it('refuses a canvas of another size', () => {
    expect(() => canvasToFramebuffer(createCanvas(2, 2), packedGeometry(3, 2, 'rgb565'))).toThrow(/canvas is 2x2 but the display is 3x2/);
  });
});

describe('round trip', () => {
  it('xrgb8888 is exact; rgb565 keeps the top bits of each channel', () => {
    const canvas = createCanvas(3, 1, 0x123456);
    fillRect(canvas, 1, 0, 1, 1, 0xffc14d);
    const back = framebufferToCanvas(canvasToFramebuffer(canvas, packedGeometry(3, 1, 'xrgb8888')), packedGeometry(3, 1, 'xrgb8888'));
    expect(back).toEqual(canvas);
    const back565 = framebufferToCanvas(canvasToFramebuffer(canvas, packedGeometry(3, 1, 'rgb565')), packedGeometry(3, 1, 'rgb565'));
    expect([...back565.data.subarray(0, 8)]).toEqual([0x10, 0x34, 0x52, 255, 0xff, 0xc3, 0x4a, 255]);
  });
});

describe('parseFramebufferSysfs', () => {
  const cases: { name: string; files: Parameters<typeof parseFramebufferSysfs>[1]; want: DisplayGeometry | RegExp }[] = [
    { name: 'SPI panel (fbtft ili9341)', files: { virtual_size: '320,240\n', stride: '640\n', bits_per_pixel: '16\n' }, want: { width: 320, height: 240, stride: 640, format: 'rgb565' } },
    {
      name: 'QEMU bochs, as measured in the guest',
      files: { virtual_size: '1280,800\n', stride: '5120\n', bits_per_pixel: '32\n', modes: 'U:1280x800p-0\n' },
      want: { width: 1280, height: 800, stride: 5120, format: 'xrgb8888' },
    },
    {
      name: 'double-buffered vc4: visible size from modes',
      files: { virtual_size: '800,960\n', stride: '3200\n', bits_per_pixel: '32\n', modes: 'U:800x480p-0\n' },
      want: { width: 800, height: 480, stride: 3200, format: 'xrgb8888' },
    },
    { name: '24 bpp is refused with advice', files: { virtual_size: '320,240', stride: '960', bits_per_pixel: '24' }, want: /24 bits per pixel is not supported; set the panel to 16/ },
    { name: 'stride too small', files: { virtual_size: '320,240', stride: '320', bits_per_pixel: '16' }, want: /stride 320 is too small/ },
    { name: 'garbage', files: { virtual_size: 'x', stride: '1', bits_per_pixel: '16' }, want: /cannot read virtual_size/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.want instanceof RegExp) expect(() => parseFramebufferSysfs('fb0', c.files)).toThrow(c.want);
      else expect(parseFramebufferSysfs('fb0', c.files)).toEqual(c.want);
    });
  }
});
