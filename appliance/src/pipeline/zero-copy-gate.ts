/**
 * ZeroCopyGate is the one place that decides whether a live frame reaches the encoder as
 * a DMABUF (media/dmabuf-frame.ts) instead of an I420 copy. Yes only when all hold:
 *  - both ends can: the source lends capture buffers (ZeroCopySource) and the encoder
 *    imports them (ZeroCopyEncoder); otherwise there is no gate and the source copies;
 *  - masking can be painted in place on the capture mapping: a mask filter without an
 *    in-place hook (mappedFilter) means every frame is copied and masked as I420, so PHI
 *    masking is never bypassed;
 *  - the encoder's node takes this exact layout (format, size, stride; its own probe,
 *    asked once per layout and cached there).
 * The source asks accepts() per frame and lends only what it accepts (it copies MJPEG and
 * anything it cannot export regardless); the pipeline asks again for each lent frame, so a
 * frame lent without the gate's yes is copied and released, never encoded by fd.
 */
import { isZeroCopySource, type FrameSource } from '../capture/frame-source.js';
import { isZeroCopyEncoder, type H264Encoder, type ZeroCopyEncoder } from '../encode/h264-encoder.js';
import type { MappedFormat, ZeroCopyTarget } from '../media/dmabuf-frame.js';
import type { Logger } from '../system/logger.js';

export interface Masking {
  /** Masks a copied I420 frame. */
  readonly inCopy: boolean;
  /** Masks the capture mapping in place (MappedFrameFilter). */
  readonly inPlace: boolean;
}

export class ZeroCopyGate implements ZeroCopyTarget {
  private loggedCopyForMask = false;

  private constructor(
    /** The encoder end, for encodeDmabuf(). */
    readonly encoder: ZeroCopyEncoder,
    private readonly masking: Masking,
    private readonly log: Logger,
  ) {}

  /** The gate between this source and encoder, or undefined when one end cannot do zero copy at all. */
  static between(source: FrameSource, encoder: H264Encoder, masking: Masking, log: Logger): ZeroCopyGate | undefined {
    if (!isZeroCopySource(source) || !isZeroCopyEncoder(encoder)) return undefined;
    const gate = new ZeroCopyGate(encoder, masking, log);
    source.setZeroCopyTarget(gate);
    return gate;
  }

  accepts(format: MappedFormat): boolean {
    if (this.masking.inCopy && !this.masking.inPlace) {
      if (!this.loggedCopyForMask) this.log.info('PHI masking has no in-place hook for capture buffers; frames are copied to I420 and masked there (no zero copy)');
      this.loggedCopyForMask = true;
      return false;
    }
    return this.encoder.acceptsDmabuf(format);
  }
}
