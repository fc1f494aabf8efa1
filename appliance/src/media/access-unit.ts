/**
 * AccessUnit is one encoded picture: every NAL unit the encoder produced for it, in
 * order, without Annex-B start codes or length prefixes. It flows from an H264Encoder
 * to the stream hub, which packetizes it once (RFC 6184) for every viewer.
 */
export interface AccessUnit {
  readonly nalus: readonly Buffer[];
  /** True when the unit holds an IDR slice (and, by our encoder settings, SPS and PPS before it). */
  readonly keyframe: boolean;
  /** Copied from the RawFrame it encodes (see RawFrame.captureTimeMs). */
  readonly captureTimeMs: number;
  /** Copied from the RawFrame it encodes. */
  readonly seq: number;
}
