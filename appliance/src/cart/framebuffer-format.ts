import type { Canvas } from './canvas.js';

/**
 * Pixel formats the cart display writes, as laid out in memory on a little-endian CPU
 * (every board sonobox targets):
 * - 'rgb565':   16 bpp, one u16 LE per pixel = R[15:11] G[10:5] B[4:0] (SPI panels: fbtft,
 *               panel-mipi-dbi, ili9341/ili9486);
 * - 'xrgb8888': 32 bpp, bytes B, G, R, X per pixel (DRM fbdev emulation: vc4, bochs,
 *               tegra; DRM_FORMAT_XRGB8888).
 * sysfs gives only bits_per_pixel, not the channel offsets (those need the
 * FBIOGET_VSCREENINFO ioctl), so 16 bpp is taken as RGB565 and 32 bpp as XRGB8888: the
 * layouts every fbdev driver above reports.
 */
export type PixelFormat = 'rgb565' | 'xrgb8888';

/** Geometry of a framebuffer: visible size, bytes per row, and pixel format. */
export interface DisplayGeometry {
  readonly width: number;
  readonly height: number;
  /** Bytes from the start of one row to the next (>= width * bytes per pixel). */
  readonly stride: number;
  readonly format: PixelFormat;
}

export const bytesPerPixel = (format: PixelFormat): number => (format === 'rgb565' ? 2 : 4);

/** Makes a packed geometry (stride = width * bytes per pixel). */
export function packedGeometry(width: number, height: number, format: PixelFormat): DisplayGeometry {
  return { width, height, stride: width * bytesPerPixel(format), format };
}

/** The text of /sys/class/graphics/fbN files the geometry is read from. */
export interface FramebufferSysfs {
  /** "1280,800": the virtual size (may be taller than the screen when double-buffered). */
  readonly virtual_size: string;
  readonly stride: string;
  readonly bits_per_pixel: string;
  /** "U:1280x800p-0" lines; the first one is the visible mode when present. */
  readonly modes?: string;
}

/** Parses the sysfs attributes of a framebuffer; throws with what to check if unusable. */
export function parseFramebufferSysfs(fb: string, files: FramebufferSysfs): DisplayGeometry {
  const virt = /^(\d+),(\d+)$/.exec(files.virtual_size.trim());
  if (!virt) throw new Error(`${fb}: cannot read virtual_size "${files.virtual_size.trim()}"; is this a framebuffer?`);
  let width = Number(virt[1]);
  let height = Number(virt[2]);
  const mode = /(\d+)x(\d+)/.exec(files.modes?.split('\n')[0] ?? '');
  if (mode && Number(mode[1]) <= width && Number(mode[2]) <= height) {
    width = Number(mode[1]);
    height = Number(mode[2]);
  }
  const bpp = Number(files.bits_per_pixel.trim());
  const stride = Number(files.stride.trim());
  let format: PixelFormat;
  if (bpp === 16) format = 'rgb565';
  else if (bpp === 32) format = 'xrgb8888';
  else throw new Error(`${fb}: ${bpp} bits per pixel is not supported; set the panel to 16 (RGB565) or 32 (XRGB8888) bpp`);
  if (!Number.isInteger(stride) || stride < width * bytesPerPixel(format)) {
    throw new Error(`${fb}: stride ${files.stride.trim()} is too small for ${width} pixels at ${bpp} bpp`);
  }
  return { width, height, stride, format };
}

/**
 * Converts an RGBA canvas to framebuffer bytes (stride * height), ready for one write
 * at offset 0. The canvas must have the display's size. Padding bytes at row ends are 0.
 */
export function canvasToFramebuffer(canvas: Canvas, g: DisplayGeometry): Buffer {
  if (canvas.width !== g.width || canvas.height !== g.height) {
    throw new RangeError(`canvas is ${canvas.width}x${canvas.height} but the display is ${g.width}x${g.height}`);
  }
  const out = Buffer.alloc(g.stride * g.height);
  const src = canvas.data;
  for (let y = 0; y < g.height; y++) {
    let s = y * g.width * 4;
    let d = y * g.stride;
    if (g.format === 'rgb565') {
      for (let x = 0; x < g.width; x++, s += 4, d += 2) {
        out.writeUInt16LE(((src[s]! >> 3) << 11) | ((src[s + 1]! >> 2) << 5) | (src[s + 2]! >> 3), d);
      }
    } else {
      for (let x = 0; x < g.width; x++, s += 4, d += 4) {
        out[d] = src[s + 2]!; out[d + 1] = src[s + 1]!; out[d + 2] = src[s]!; out[d + 3] = 0xff;
      }
    }
  }
  return out;
}

/**
 * Reads framebuffer bytes back into an RGBA canvas (tests, goldens, QEMU screendumps).
 * RGB565 channels are widened by repeating their top bits, so 0x1f becomes 0xff.
 */
export function framebufferToCanvas(bytes: Uint8Array, g: DisplayGeometry): Canvas {
  if (bytes.length < g.stride * (g.height - 1) + g.width * bytesPerPixel(g.format)) {
    throw new RangeError(`${bytes.length} bytes is too short for ${g.width}x${g.height} with stride ${g.stride}`);
  }
  const data = new Uint8Array(g.width * g.height * 4);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let y = 0; y < g.height; y++) {
    let s = y * g.stride;
    let d = y * g.width * 4;
    for (let x = 0; x < g.width; x++, d += 4) {
      if (g.format === 'rgb565') {
        const v = view.readUInt16LE(s);
        const r = v >> 11, gg = (v >> 5) & 0x3f, b = v & 0x1f;
        data[d] = (r << 3) | (r >> 2); data[d + 1] = (gg << 2) | (gg >> 4); data[d + 2] = (b << 3) | (b >> 2);
        s += 2;
      } else {
        data[d] = view[s + 2]!; data[d + 1] = view[s + 1]!; data[d + 2] = view[s]!;
        s += 4;
      }
      data[d + 3] = 255;
    }
  }
  return { width: g.width, height: g.height, data };
}
