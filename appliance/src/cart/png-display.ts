import { writeFileSync, renameSync } from 'node:fs';
import { PNG } from 'pngjs';
import type { Canvas } from './canvas.js';
import type { Display } from './framebuffer-display.js';
import type { DisplayGeometry } from './framebuffer-format.js';
import { packedGeometry } from './framebuffer-format.js';

/** Encodes an RGBA canvas as PNG bytes. */
export function canvasToPng(canvas: Canvas): Buffer {
  const png = new PNG({ width: canvas.width, height: canvas.height });
  png.data = Buffer.from(canvas.data.buffer, canvas.data.byteOffset, canvas.data.byteLength);
  return PNG.sync.write(png);
}

/** Decodes PNG bytes into an RGBA canvas. */
export function pngToCanvas(bytes: Uint8Array): Canvas {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}

/**
 * PngDisplay is the dev-mode screen on a PC without a framebuffer: it keeps the latest
 * screen as PNG bytes (served local-only by the HTTP server through latestPng()) and,
 * when given a path, also writes it there (atomically, through a rename).
 */
export class PngDisplay implements Display {
  readonly geometry: DisplayGeometry;
  readonly description: string;
  private png: Buffer | undefined;

  constructor(width = 480, height = 320, private readonly path?: string) {
    this.geometry = packedGeometry(width, height, 'xrgb8888');
    this.description = `PNG ${width}x${height}${path ? ` at ${path}` : ''}`;
  }

  show(canvas: Canvas): void {
    this.png = canvasToPng(canvas);
    if (this.path) {
      writeFileSync(this.path + '.tmp', this.png);
      renameSync(this.path + '.tmp', this.path);
    }
  }

  /** The PNG bytes of the screen shown last, or undefined before the first show(). */
  latestPng(): Buffer | undefined {
    return this.png;
  }

  close(): void {}
}
