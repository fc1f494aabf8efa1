import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCanvas, fillRect } from './canvas.js';
import { FramebufferDisplay, openFramebufferDisplay, readFramebufferGeometry } from './framebuffer-display.js';
import { canvasToFramebuffer } from './framebuffer-format.js';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

/** A fake /sys and /dev: fbN attributes as the kernel prints them, a plain file as the device. */
function fakeFramebuffer(name: string, attrs: Record<string, string>, bytes: number): { root: string; dev: string; link: string } {
  const root = mkdtempSync(join(tmpdir(), 'sonobox-fb-'));
  dirs.push(root);
  const sys = join(root, 'sys/class/graphics', name);
  mkdirSync(sys, { recursive: true });
  for (const [k, v] of Object.entries(attrs)) writeFileSync(join(sys, k), v);
  mkdirSync(join(root, 'dev/sonobox'), { recursive: true });
  const dev = join(root, 'dev', name);
  writeFileSync(dev, Buffer.alloc(bytes, 0xaa));
  const link = join(root, 'dev/sonobox/display');
  symlinkSync(dev, link);
  return { root, dev, link };
}

describe('Linux framebuffer display on a fake /sys', () => {
  it('follows the stable name to fbN, reads geometry, and writes one frame at offset 0', () => {
    const fb = fakeFramebuffer('fb1', { virtual_size: '320,240\n', stride: '640\n', bits_per_pixel: '16\n' }, 640 * 240);
    const display = openFramebufferDisplay(fb.link, join(fb.root, 'sys'));
    expect(display.geometry).toEqual({ width: 320, height: 240, stride: 640, format: 'rgb565' });
    const canvas = createCanvas(320, 240, 0x0d1b2a);
    fillRect(canvas, 10, 10, 50, 20, 0xffffff);
    display.show(canvas);
    display.close();
    expect(readFileSync(fb.dev).equals(canvasToFramebuffer(canvas, display.geometry))).toBe(true);
  });

  it('explains a missing device and a device that is not a framebuffer', () => {
    expect(() => openFramebufferDisplay('/nonexistent/sonobox/display')).toThrow(/Display \/nonexistent\/sonobox\/display does not exist; check the panel/);
    const fb = fakeFramebuffer('fb0', {}, 16);
    expect(() => readFramebufferGeometry('fb7', join(fb.root, 'sys'))).toThrow(/fb7 is not a framebuffer the kernel knows/);
  });

  it('file-backed display writes exactly stride * height bytes', () => {
    const fb = fakeFramebuffer('fb0', {}, 0);
    const display = new FramebufferDisplay(fb.dev, { width: 4, height: 2, stride: 20, format: 'xrgb8888' });
    display.show(createCanvas(4, 2, 0xff0000));
    display.close();
    const bytes = readFileSync(fb.dev);
    expect(bytes.length).toBe(40);
    expect(bytes.subarray(0, 4).toString('hex')).toBe('0000ffff');
    expect(bytes.subarray(16, 20).toString('hex')).toBe('00000000');
  });
});
