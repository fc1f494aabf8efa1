/**
 * Pure mode negotiation for a capture device: given what it offers and what the config
 * asks for, pick a pixel format, size and rate. Raw beats MJPEG (no decode, no JPEG
 * artefacts) when the dongle offers it at the wanted size and rate — USB 3 dongles do; USB 2
 * ones (MS2109) only reach 1080p30 as MJPEG, so MJPEG at the wanted size and rate beats raw
 * at a lower rate.
 */
import type { ModeOffer } from '../v4l2/v4l2-capture-device.js';
import { RAW_PIX_FMTS, type RawPixFmt } from './v4l2-pixel-convert.js';

export interface WantedMode {
  width: number;
  height: number;
  fps: number;
}

export interface ChosenMode {
  pixfmt: RawPixFmt | 'MJPG';
  width: number;
  height: number;
  /** Rate to ask for with S_PARM; undefined when the driver lists none (ask for the wanted one). */
  fps: number | undefined;
  /** One human line for the log, e.g. "YUYV 1280x720@30 (raw at the configured size and rate)". */
  why: string;
}

const isRaw = (f: string): f is RawPixFmt => (RAW_PIX_FMTS as readonly string[]).includes(f);
/** Rates within 0.5 fps count as equal (drivers say 29.97 for 30). */
const rateOk = (o: ModeOffer, fps: number): boolean => o.fps.length === 0 || o.fps.some((r) => Math.abs(r - fps) < 0.5);
const rawRank = (f: string): number => (isRaw(f) ? RAW_PIX_FMTS.indexOf(f) : RAW_PIX_FMTS.length);

/**
 * Chooses the mode. `formats` is ENUM_FMT's list, used when the driver enumerates no frame
 * sizes (HDMI bridges size themselves from DV timings: take the format, let S_FMT size it).
 * Returns undefined when the device offers nothing we can convert.
 */
export function chooseMode(offers: readonly ModeOffer[], formats: readonly string[], want: WantedMode): ChosenMode | undefined {
  const usable = offers
    .filter((o) => isRaw(o.pixfmt) || o.pixfmt === 'MJPG')
    // A stepwise range that holds the wanted size offers exactly that size.
    .map((o) => (o.anySize && o.width >= want.width && o.height >= want.height ? { ...o, width: want.width, height: want.height } : o));
  const sameSize = usable.filter((o) => o.width === want.width && o.height === want.height);
  const label = (o: ModeOffer, why: string): ChosenMode => {
    const fps = o.fps.length === 0 ? undefined : rateOk(o, want.fps) ? want.fps : Math.max(...o.fps);
    return { pixfmt: o.pixfmt as RawPixFmt | 'MJPG', width: o.width, height: o.height, fps, why: `${o.pixfmt} ${o.width}x${o.height}@${fps ?? want.fps} (${why})` };
  };
  const byRaw = (a: ModeOffer, b: ModeOffer): number => rawRank(a.pixfmt) - rawRank(b.pixfmt);

  const rawExact = sameSize.filter((o) => isRaw(o.pixfmt) && rateOk(o, want.fps)).sort(byRaw)[0];
  if (rawExact) return label(rawExact, 'raw at the configured size and rate');
  const mjpgExact = sameSize.find((o) => o.pixfmt === 'MJPG' && rateOk(o, want.fps));
  if (mjpgExact) return label(mjpgExact, 'MJPEG: raw is not offered at the configured size and rate');
  const rawSize = sameSize.filter((o) => isRaw(o.pixfmt)).sort(byRaw)[0];
  if (rawSize) return label(rawSize, 'raw at the configured size, at a lower rate than configured');
  const mjpgSize = sameSize.find((o) => o.pixfmt === 'MJPG');
  if (mjpgSize) return label(mjpgSize, 'MJPEG at the configured size, at a lower rate than configured');

  if (usable.length > 0) {
    // Nearest size by area, raw before MJPEG among equals.
    const area = want.width * want.height;
    const nearest = [...usable].sort((a, b) => Math.abs(a.width * a.height - area) - Math.abs(b.width * b.height - area) || byRaw(a, b))[0]!;
    return label(nearest, `the configured ${want.width}x${want.height} is not offered; nearest size`);
  }

  const raw = formats.filter(isRaw).sort((a, b) => rawRank(a) - rawRank(b))[0];
  const pixfmt = raw ?? (formats.includes('MJPG') ? 'MJPG' : undefined);
  if (!pixfmt) return undefined;
  return {
    pixfmt,
    width: want.width,
    height: want.height,
    fps: undefined,
    why: `${pixfmt} at the size the driver applies (it lists no frame sizes)`,
  };
}
