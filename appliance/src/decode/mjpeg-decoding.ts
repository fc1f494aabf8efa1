/**
 * MjpegDecoding: which decoder turns a capture session's MJPEG into I420. The board's V4L2
 * M2M JPEG decoder (board-probe's mjpegDecoder: the Pi 4's bcm2835-codec-decode) when it
 * has one, else an ffmpeg child. After the hardware decoder fails once (cannot open, or a
 * device error while streaming) ffmpeg is used from then on, said once in the log: a
 * flapping hardware path would cost more than software decoding.
 */
import type { Logger } from '../system/logger.js';
import { FfmpegMjpegDecoder } from './ffmpeg-mjpeg-decoder.js';
import { V4l2M2mDecoder } from './v4l2-m2m-decoder.js';

/** What a capture loop needs of an MJPEG decoder, whichever it is. */
export interface JpegDecoder {
  /** Copies the JPEG (the caller may requeue its buffer at once); the picture comes back through onPicture. */
  decode(jpeg: Buffer, captureTimeMs: number): unknown;
  stop(): Promise<unknown>;
}

/** A decoded picture: tightly packed I420 of width × height, with the JPEG's capture time. */
export interface DecodedPicture {
  readonly width: number;
  readonly height: number;
  readonly data: Buffer;
  readonly captureTimeMs: number;
}

export interface MjpegDecodingOptions {
  /** The board's M2M MJPEG decoder node; unset: ffmpeg always. */
  readonly hardwareDevice?: string;
  /** ffmpeg for software decoding; default 'ffmpeg' on PATH. */
  readonly ffmpegPath?: string;
  readonly logger: Logger;
}

export class MjpegDecoding {
  private hardwareFailed = false;

  constructor(private readonly o: MjpegDecodingOptions) {}

  /**
   * A decoder for one session's width × height JPEGs. onFailure (once) means the decoder
   * is gone: the session should end, and the next open() may choose differently.
   */
  open(width: number, height: number, onPicture: (p: DecodedPicture) => void, onFailure: (reason: string) => void): JpegDecoder {
    return this.openHardware(width, height, onPicture, onFailure)
      ?? new FfmpegMjpegDecoder(width, height, (f) => onPicture({ width, height, data: f.data, captureTimeMs: f.tag }), onFailure, this.o.ffmpegPath);
  }

  private openHardware(width: number, height: number, onPicture: (p: DecodedPicture) => void, onFailure: (reason: string) => void): JpegDecoder | undefined {
    const device = this.o.hardwareDevice;
    if (!device || this.hardwareFailed) return undefined;
    try {
      return V4l2M2mDecoder.open({
        device,
        codec: 'mjpeg',
        width,
        height,
        logger: this.o.logger,
        onFrame: (f) => onPicture({ width: f.width, height: f.height, data: f.data, captureTimeMs: f.captureTimeMs }),
        onError: (reason) => {
          this.hardwareFailed = true;
          this.o.logger.warn(`Hardware MJPEG decoder failed (${reason}); decoding with ffmpeg from now on`);
          onFailure(reason);
        },
      });
    } catch (e) {
      this.hardwareFailed = true;
      this.o.logger.warn(`Hardware MJPEG decoder ${device} unusable (${e instanceof Error ? e.message : String(e)}); decoding with ffmpeg`);
      return undefined;
    }
  }
}
