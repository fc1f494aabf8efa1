import { closeSync, openSync, readFileSync, realpathSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Canvas } from './canvas.js';
import type { DisplayGeometry } from './framebuffer-format.js';
import { canvasToFramebuffer, parseFramebufferSysfs } from './framebuffer-format.js';

/**
 * Display is the cart's screen: something that shows a whole RGBA canvas of its size.
 * Each show() replaces the picture in one copy (the canvas is complete before it is
 * shown), so the panel never flickers through a half-drawn screen.
 */
export interface Display {
  readonly geometry: DisplayGeometry;
  /** One human line for the log, e.g. "framebuffer /dev/fb1 320x240 rgb565". */
  readonly description: string;
  show(canvas: Canvas): void;
  close(): void;
}

/** The udev name sonobox gives the cart panel (udev/…: SYMLINK+="sonobox/display"). */
export const defaultDisplayDevice = '/dev/sonobox/display';

/**
 * FramebufferDisplay writes converted pixels with one pwrite at offset 0 per change to
 * a Linux framebuffer device or, in tests, to a plain file of the same size standing in
 * for it.
 */
export class FramebufferDisplay implements Display {
  readonly description: string;
  private fd: number | undefined;

  constructor(readonly path: string, readonly geometry: DisplayGeometry) {
    this.fd = openSync(path, 'r+');
    this.description = `framebuffer ${path} ${geometry.width}x${geometry.height} ${geometry.format}`;
  }

  show(canvas: Canvas): void {
    if (this.fd === undefined) throw new Error(`display ${this.path} is closed`);
    const bytes = canvasToFramebuffer(canvas, this.geometry);
    let done = 0;
    // fbdev accepts the whole frame in one write; the loop only covers a short write.
    while (done < bytes.length) done += writeSync(this.fd, bytes, done, bytes.length - done, done);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Reads a framebuffer's geometry from /sys/class/graphics/fbN (sysRoot injectable for tests). */
export function readFramebufferGeometry(fbName: string, sysRoot = '/sys'): DisplayGeometry {
  const dir = join(sysRoot, 'class/graphics', fbName);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  let modes: string | undefined;
  try { modes = read('modes'); } catch { modes = undefined; }
  try {
    return parseFramebufferSysfs(fbName, {
      virtual_size: read('virtual_size'), stride: read('stride'), bits_per_pixel: read('bits_per_pixel'),
      ...(modes === undefined ? {} : { modes }),
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${dir} is missing: ${fbName} is not a framebuffer the kernel knows; check the display overlay or set cart.display`);
    }
    throw e;
  }
}

/**
 * Opens a Linux framebuffer by device path (the stable udev name first; symlinks are
 * followed to find fbN in sysfs).
 */
export function openFramebufferDisplay(device: string = defaultDisplayDevice, sysRoot = '/sys'): FramebufferDisplay {
  let real: string;
  try { real = realpathSync(device); } catch {
    throw new Error(`Display ${device} does not exist; check the panel's cable and overlay, or use the PNG display in dev mode`);
  }
  const fbName = basename(real);
  if (!/^fb\d+$/.test(fbName)) throw new Error(`Display ${device} points to ${real}, which is not a /dev/fbN device`);
  return new FramebufferDisplay(real, readFramebufferGeometry(fbName, sysRoot));
}
