/**
 * MaskFilter is the pipeline's frame filter (pipeline/video-pipeline.ts FrameFilter): it
 * blanks the active preset's rectangles in every live frame, in place, before encode(),
 * and withholds frames whose resolution the preset does not cover (the pipeline then
 * encodes the slate instead). It also hands the set-up page one unmasked copy of the next
 * frame on request; between requests it keeps no picture at all.
 */
import type { RawFrame } from '../media/raw-frame.js';
import type { Logger } from '../system/logger.js';
import { applyMask, layoutBytes, layoutOfV4l2, maskPlanes } from './apply-mask.js';
import { resolveRects, type MaskPreset, type PixelRect } from './mask-presets.js';
import { copyToI420 } from './copy-to-i420.js';

export interface MaskFilterOptions {
  /** The active preset, or undefined for 'none' (frames pass unmasked). */
  readonly preset: MaskPreset | undefined;
  /** Tag it: child({ c: 'mask' }). */
  readonly logger: Logger;
}

export class MaskFilter {
  readonly preset: MaskPreset | undefined;
  private readonly rects = new Map<string, readonly PixelRect[] | null>();
  private waiting: ((frame: RawFrame) => void)[] = [];
  private unmatched: string | undefined;
  private withheldFrames = 0;

  constructor(private readonly o: MaskFilterOptions) {
    this.preset = o.preset;
    if (!o.preset) o.logger.warn('Mask preset "none": frames are NOT masked. Choose the preset for this scanner (--mask-preset) before clinical use.');
    else o.logger.info(`Mask preset "${o.preset.name}" covers ${o.preset.sets.map((s) => `${s.width}x${s.height}`).join(', ')}; other resolutions get the slate`);
  }

  /** Frames withheld so far because their resolution had no set in the preset. */
  get withheld(): number {
    return this.withheldFrames;
  }

  /** The pixel rectangles for a resolution (cached), or undefined when the preset has none. */
  readonly rectsFor = (width: number, height: number): readonly PixelRect[] | undefined => {
    if (!this.preset) return undefined;
    const key = `${width}x${height}`;
    let r = this.rects.get(key);
    if (r === undefined) {
      r = resolveRects(this.preset, width, height) ?? null;
      this.rects.set(key, r);
    }
    return r ?? undefined;
  };

  /** The FrameFilter: true = masked and may be encoded; false = withhold (slate instead). */
  readonly filter = (frame: RawFrame): boolean => {
    // The set-up page asked for a picture: copy it before it is masked.
    if (this.waiting.length) this.deliver({ ...frame, data: Buffer.from(frame.data) });
    if (!this.preset) return true;
    if (applyMask(frame, this.rectsFor)) {
      this.unmatched = undefined;
      return true;
    }
    this.withheldFrames++;
    const size = `${frame.width}x${frame.height}`;
    if (this.unmatched !== size) {
      this.unmatched = size;
      this.o.logger.warn(`Capture is ${size} but mask preset "${this.preset.name}" has no rectangles for it: sending the slate instead of the picture. Add a ${size} set to the preset or change the scanner's output mode.`);
    }
    return false;
  };

  /**
   * The same filter for a zero-copy capture buffer (media/dmabuf-frame.ts; the pipeline's
   * MappedFrameFilter): masks the writable mapping in place before its fd is queued to the
   * encoder. Single memory plane (single-planar capture). False — withhold, send the
   * slate — when the preset has no set for the size, the format is one maskPlanes cannot
   * handle, or the mapping is shorter than the format says.
   */
  readonly mappedFilter = (
    planes: readonly Buffer[],
    format: { readonly fourcc: string; readonly width: number; readonly height: number; readonly bytesperline: number },
    frame: { readonly seq: number; readonly captureTimeMs: number } = { seq: 0, captureTimeMs: 0 },
  ): boolean => {
    const layout = layoutOfV4l2(format);
    const plane = planes[0];
    if (this.waiting.length && layout && plane && planes.length === 1 && layoutBytes(layout) <= plane.length) {
      this.deliver({ width: format.width, height: format.height, seq: frame.seq, captureTimeMs: frame.captureTimeMs, data: copyToI420(plane, layout) });
    }
    if (!this.preset) return true;
    const rects = this.rectsFor(format.width, format.height);
    if (!rects || !layout || !plane || planes.length !== 1 || layoutBytes(layout) > plane.length) {
      this.withheldFrames++;
      const what = `${format.fourcc} ${format.width}x${format.height}`;
      if (this.unmatched !== what) {
        this.unmatched = what;
        this.o.logger.warn(`Zero-copy capture ${what} cannot be masked with preset "${this.preset.name}" (${!rects ? 'no rectangles for this size' : 'unsupported buffer layout'}): sending the slate instead of the picture.`);
      }
      return false;
    }
    maskPlanes(plane, layout, rects);
    this.unmatched = undefined;
    return true;
  };

  private deliver(copy: RawFrame): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve(copy);
  }

  /**
   * An unmasked copy of the next frame the pipeline sees, or undefined if none arrives
   * within timeoutMs (the source is not live). Loopback set-up page only (http/box-only-routes.ts).
   */
  nextFrame(timeoutMs: number): Promise<RawFrame | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== done);
        resolve(undefined);
      }, timeoutMs);
      const done = (frame: RawFrame): void => {
        clearTimeout(timer);
        resolve(frame);
      };
      this.waiting.push(done);
    });
  }
}
