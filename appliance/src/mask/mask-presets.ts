/**
 * Mask presets: where a scanner burns patient details (name, ID, date of birth) into its
 * picture, as rectangles to blank before encoding.
 *
 * A preset is reviewed data (presets/*.json), one per scanner model or family. Rectangles
 * are in normalised coordinates (0..1 of the picture's width and height) and grouped by
 * capture resolution, because a console lays out its banner differently per output mode:
 *   { "name": "generic-top-banner", "description": "…",
 *     "sets": [ { "width": 1920, "height": 1080, "rects": [ { "x": 0, "y": 0, "width": 1, "height": 0.12 } ] } ] }
 * A resolution with no set is not masked "approximately": the frame is withheld and the
 * slate goes out instead (fail closed; see mask-filter.ts).
 *
 * The active preset is `mask.preset` in the configuration (`--mask-preset NAME`). The
 * default, 'none', masks nothing: it exists so a box can be set up on the bench, and a
 * clinic must choose (or add) the preset for its scanner before the box is used on patients.
 */
import { ConfigError } from '../config/config-error.js';
import genericTopBanner from './presets/generic-top-banner.json' with { type: 'json' };
import testBanner from './presets/test-banner.json' with { type: 'json' };

/** A rectangle in normalised coordinates: 0..1 of the picture's width (x) and height (y). */
export interface MaskRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The rectangles to blank at one capture resolution. */
export interface MaskSet {
  readonly width: number;
  readonly height: number;
  readonly rects: readonly MaskRect[];
}

export interface MaskPreset {
  /** kebab-case, unique; what `mask.preset` names. */
  readonly name: string;
  readonly description: string;
  readonly sets: readonly MaskSet[];
}

/** A rectangle in pixels, every edge on an even coordinate (so 4:2:0 chroma is covered whole). */
export interface PixelRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** The preset name that means "mask nothing": an explicit choice, said on the cart at every session start. */
export const NO_MASK = 'none';
/**
 * What a box masks when nothing says otherwise (a freshly flashed card, a dev machine): the
 * top band where most consoles burn in the patient's name, ID and date of birth
 * (Sonoclipshare crops the top 9 % for the same reason; this preset takes 12 %).
 */
export const DEFAULT_MASK = 'generic-top-banner';
/**
 * What a box runs with when its configured preset is unusable (misspelt in sonobox.toml):
 * no resolution matches, so every frame is withheld and viewers see the slate. Falling
 * back to no mask would stream the patient banner.
 */
export const WITHHOLD_ALL = 'withhold-all';

/**
 * Checks one preset's shape and ranges; `origin` names where it came from in errors.
 * Throws ConfigError naming the preset and the first problem found.
 */
export function parsePreset(raw: unknown, origin: string): MaskPreset {
  const fail = (what: string): never => {
    throw new ConfigError(`mask preset ${origin}: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) return fail('must be a JSON object with name, description and sets');
  const p = raw as Record<string, unknown>;
  if (typeof p.name !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(p.name)) return fail(`name must be kebab-case letters and digits (got ${JSON.stringify(p.name)})`);
  if (p.name === NO_MASK || p.name === WITHHOLD_ALL) return fail(`"${p.name}" is reserved; choose another name`);
  const name = p.name;
  const where = `"${name}" (${origin})`;
  const bad = (what: string): never => {
    throw new ConfigError(`mask preset ${where}: ${what}`);
  };
  if (typeof p.description !== 'string' || p.description.trim() === '') return bad('needs a description saying which scanner and output modes it is for');
  if (!Array.isArray(p.sets) || p.sets.length === 0) return bad('needs at least one entry in "sets" (one per capture resolution)');
  const seen = new Set<string>();
  const sets = p.sets.map((s: unknown, i): MaskSet => {
    if (typeof s !== 'object' || s === null) return bad(`sets[${i}] must be an object with width, height and rects`);
    const set = s as Record<string, unknown>;
    const { width, height } = set;
    if (!isEvenSize(width) || !isEvenSize(height)) return bad(`sets[${i}] width and height must be even whole numbers of pixels from 16 to 8192 (got ${String(width)}x${String(height)})`);
    const size = `${width}x${height}`;
    if (seen.has(size)) return bad(`sets[${i}] repeats resolution ${size}; one set per resolution`);
    seen.add(size);
    if (!Array.isArray(set.rects) || set.rects.length === 0) return bad(`sets[${i}] (${size}) needs at least one rectangle in "rects"`);
    const rects = set.rects.map((r: unknown, j): MaskRect => {
      const at = `sets[${i}] (${size}) rects[${j}]`;
      if (typeof r !== 'object' || r === null) return bad(`${at} must be {x, y, width, height} in 0..1`);
      const { x, y, width: w, height: h } = r as Record<string, unknown>;
      for (const [k, v] of [['x', x], ['y', y], ['width', w], ['height', h]] as const) {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) return bad(`${at}.${k} must be a number from 0 to 1, a fraction of the picture (got ${JSON.stringify(v)})`);
      }
      const rect = { x: x as number, y: y as number, width: w as number, height: h as number };
      if (rect.width === 0 || rect.height === 0) return bad(`${at} is empty (width and height must be above 0)`);
      if (rect.x + rect.width > 1 + 1e-9 || rect.y + rect.height > 1 + 1e-9) return bad(`${at} reaches outside the picture (x + width and y + height must be at most 1)`);
      return rect;
    });
    return { width: width as number, height: height as number, rects };
  });
  return { name, description: p.description, sets };
}

function isEvenSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 16 && v <= 8192 && v % 2 === 0;
}

/** Validates a list of presets and that their names are unique. */
export function parsePresets(entries: readonly (readonly [origin: string, raw: unknown])[]): readonly MaskPreset[] {
  const presets = entries.map(([origin, raw]) => parsePreset(raw, origin));
  const names = new Set<string>();
  for (const p of presets) {
    if (names.has(p.name)) throw new ConfigError(`mask preset "${p.name}" is defined twice; preset names must be unique`);
    names.add(p.name);
  }
  return presets;
}

/** The presets that ship in the repository (presets/*.json), validated once at load. */
export const builtInPresets: readonly MaskPreset[] = parsePresets([
  ['presets/generic-top-banner.json', genericTopBanner],
  ['presets/test-banner.json', testBanner],
]);

/**
 * The preset named by `mask.preset`: undefined for 'none' (mask nothing). Throws
 * ConfigError listing the known names when there is no such preset.
 */
export function activePreset(name: string, presets: readonly MaskPreset[] = builtInPresets): MaskPreset | undefined {
  if (name === NO_MASK) return undefined;
  if (name === WITHHOLD_ALL) return { name: WITHHOLD_ALL, description: 'every frame withheld: the configured preset is unusable', sets: [] };
  const preset = presets.find((p) => p.name === name);
  if (!preset) {
    throw new ConfigError(`mask.preset "${name}" is not a known preset; choose one of: ${[NO_MASK, ...presets.map((p) => p.name)].join(', ')} (presets live in appliance/src/mask/presets/)`);
  }
  return preset;
}

/**
 * The pixel rectangles of `preset` for a width × height picture, or undefined when the
 * preset has no set for that resolution (the caller must then withhold the frame).
 * Edges round outward to even pixels: a mask never uncovers a pixel its fraction touches,
 * and every 2×2 block (one chroma sample) is covered whole. A 1e-9 tolerance keeps float
 * noise (0.05 × 1280 = 64.000…01) from widening a rectangle by two pixels.
 */
export function resolveRects(preset: MaskPreset, width: number, height: number): readonly PixelRect[] | undefined {
  const set = preset.sets.find((s) => s.width === width && s.height === height);
  if (!set) return undefined;
  const down = (v: number): number => Math.floor(Math.floor(v + 1e-9) / 2) * 2;
  const up = (v: number, max: number): number => Math.min(max, Math.ceil(Math.ceil(v - 1e-9) / 2) * 2);
  return set.rects.map((r) => {
    const x0 = down(r.x * width), y0 = down(r.y * height);
    const x1 = up((r.x + r.width) * width, width), y1 = up((r.y + r.height) * height, height);
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  });
}
