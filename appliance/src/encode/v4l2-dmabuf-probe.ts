/**
 * DmabufImportProbe: can the encoder's OUTPUT queue take a capture buffer by fd as it is?
 * Yes when the node takes the format on OUTPUT at that size with the same stride, needs
 * no more than the buffer holds, and grants DMABUF buffers. Asked once per layout on a
 * second, short-lived context of the node (M2M contexts are per open, so the running
 * session is untouched), then cached. Single memory plane only (capture is single-planar).
 * This answers what the device can do; pipeline/zero-copy-gate.ts decides what is done.
 */
import type { MappedFormat } from '../media/dmabuf-frame.js';
import type { Logger } from '../system/logger.js';
import { closeQuietly, M2mDevice } from '../v4l2/m2m-device.js';
import { fourcc, fourccText } from '../v4l2/v4l2-fourcc.js';
import type { M2mCodec } from './v4l2-m2m-encoder-controls.js';
import { codedBufferBytes, codedFormat } from './v4l2-m2m-session.js';

export interface DmabufProbeOptions {
  readonly device: string;
  readonly codec: M2mCodec;
  /** A raw format the encoder is pinned to (options.rawFormat): other layouts are refused. */
  readonly pinnedRaw?: number;
  /** "encoder v4l2-m2m:<driver>", for the log. */
  readonly name: () => string;
  readonly logger: Logger;
}

export class DmabufImportProbe {
  private readonly verdicts = new Map<string, boolean>();

  constructor(private readonly o: DmabufProbeOptions) {}

  accepts(f: MappedFormat): boolean {
    const key = `${f.fourcc}:${f.width}x${f.height}:${f.bytesperline}:${f.sizeimage}`;
    const known = this.verdicts.get(key);
    if (known !== undefined) return known;
    const why = this.whyNot(f);
    this.verdicts.set(key, why === undefined);
    this.o.logger.info(why === undefined
      ? `encoder ${this.o.name()}: imports ${f.fourcc} ${f.width}x${f.height} capture buffers by DMABUF (zero copy)`
      : `encoder ${this.o.name()}: copies ${f.fourcc} ${f.width}x${f.height} capture frames (no DMABUF import: ${why})`);
    return why === undefined;
  }

  /**
   * The driver would not import a buffer of this raw format after all (e.g. it needs
   * contiguous memory and the capture driver's is vmalloc'd): no zero copy for it from now on.
   */
  refuse(raw: number): void {
    for (const key of this.verdicts.keys()) if (key.startsWith(`${fourccText(raw)}:`)) this.verdicts.set(key, false);
  }

  /** Undefined when the layout can be imported as is, else why not. */
  private whyNot(f: MappedFormat): string | undefined {
    const pixelformat = fourcc(f.fourcc);
    if (this.o.pinnedRaw !== undefined && this.o.pinnedRaw !== pixelformat) return `the encoder is configured for ${fourccText(this.o.pinnedRaw)}`;
    let dev: M2mDevice | undefined;
    try {
      dev = M2mDevice.open(this.o.device);
      dev.setFormat('capture', { width: f.width, height: f.height, pixelformat: codedFormat(this.o.codec), sizeimage: codedBufferBytes(this.o.codec, f.width, f.height) });
      if (!dev.enumFormats('output').includes(pixelformat)) return `it takes no ${f.fourcc} on its OUTPUT queue`;
      const got = dev.setFormat('output', { width: f.width, height: f.height, pixelformat });
      const p = got.planes;
      if (got.pixelformat !== pixelformat || got.width !== f.width || got.height !== f.height || p.length !== 1) {
        return `it would encode ${fourccText(got.pixelformat)} ${got.width}x${got.height} in ${p.length} planes`;
      }
      if (p[0]!.bytesperline !== f.bytesperline || p[0]!.sizeimage > f.sizeimage) {
        return `its stride/size ${p[0]!.bytesperline}/${p[0]!.sizeimage} differ from the capture's ${f.bytesperline}/${f.sizeimage}`;
      }
      if (dev.requestBuffers('output', 1, 'dmabuf') < 1) return 'it grants no DMABUF buffers';
      return undefined;
    } catch (e) {
      return (e as Error).message;
    } finally {
      if (dev) closeQuietly(dev);
    }
  }
}
