/**
 * The kinds of value a setting can take, each able to read what a person wrote (a
 * command-line string or a TOML value), check a value already in the configuration, and
 * say in words what a valid value looks like: the same sentence is used by --help, by the
 * commented template (image-build/sonobox.toml, checked by a test) and by every error.
 *
 * `scale` is how many configuration units one unit of what the person writes is worth:
 * link_ttl_s = 600 is 600_000 ms in the configuration (scale 1000).
 */

export type Surface = 'flag' | 'file';

export type ReadResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly why: string };

export interface Kind<T> {
  /** What the person wrote → the configuration's value, or a sentence starting "must be …". */
  read(input: unknown, from: Surface, scale: number): ReadResult<T>;
  /** undefined when `value` (configuration units) is valid, else the sentence saying why. */
  check(value: T): string | undefined;
  /** A valid value in words, in the person's units: "a whole number from 1 to 16". */
  describe(scale: number): string;
  /** A value as the person would write it in `from` ("1280x720", 600, "auto"). */
  show(value: T, scale: number, from: Surface): string;
}

/** How a value the person wrote is quoted back in an error. */
export const shown = (v: unknown): string => (typeof v === 'string' ? `"${v}"` : typeof v === 'object' && v !== null ? 'a table' : String(v));

const ok = <T>(value: T): ReadResult<T> => ({ ok: true, value });
const no = <T>(why: string): ReadResult<T> => ({ ok: false, why });

/** A number from the command line (text) or the file (a TOML number, never a quoted one). */
function numberFrom(input: unknown, from: Surface): number | undefined {
  if (from === 'file') return typeof input === 'number' ? input : undefined;
  if (typeof input !== 'string' || input.trim() === '') return undefined;
  const n = Number(input);
  return Number.isFinite(n) ? n : undefined;
}

/** A whole number, in the person's units, whose configuration value lies in [min, max]. */
export function wholeNumber(min: number, max: number): Kind<number> {
  const inRange = (v: number): boolean => Number.isInteger(v) && v >= min && v <= max;
  const describe = (scale: number): string => `a whole number from ${min / scale} to ${max / scale}`;
  return {
    read(input, from, scale) {
      const n = numberFrom(input, from);
      if (n === undefined || !Number.isInteger(n) || !inRange(n * scale)) return no(`must be ${describe(scale)} (got ${shown(input)})`);
      return ok(n * scale);
    },
    check: (v) => (inRange(v) ? undefined : `must be ${describe(1)} (got ${v})`),
    describe,
    show: (v, scale) => String(v / scale),
  };
}

/**
 * One of a few words, each standing for a configuration value (display: "none" and "png"
 * both mean the in-memory screen), or any other text `other` accepts (a device path).
 */
export function oneOf<T extends string>(words: Readonly<Record<string, T>>, other?: { readonly test: (s: string) => boolean; readonly what: string }): Kind<T> {
  const listed = Object.keys(words).map((w) => `"${w}"`);
  const describe = (): string => {
    if (!other) return `one of ${listed.join(', ')}`;
    return `one of ${listed.join(', ')} or ${other.what}`;
  };
  const values = new Set<string>(Object.values(words));
  return {
    read(input) {
      if (typeof input === 'string') {
        if (Object.hasOwn(words, input)) return ok(words[input]!);
        if (other?.test(input)) return ok(input as T);
      }
      return no(`must be ${describe()} (got ${shown(input)})`);
    },
    check: (v) => (values.has(v) || other?.test(v) ? undefined : `must be ${describe()} (got "${v}")`),
    describe,
    show: (v) => Object.keys(words).find((w) => words[w] === v) ?? v,
  };
}

/** Text matching `pattern` (after `normalise`, e.g. upper case), described as `what`. */
export function text(pattern: RegExp, what: string, normalise: (s: string) => string = (s) => s): Kind<string> {
  return {
    read(input) {
      if (typeof input === 'string' && pattern.test(normalise(input))) return ok(normalise(input));
      return no(`must be ${what} (got ${shown(input)})`);
    },
    check: (v) => (pattern.test(v) ? undefined : `must be ${what} (got "${v}")`),
    describe: () => what,
    show: (v) => v,
  };
}

/** Text for which `problem` returns nothing; for values whose rule is not a pattern. */
export function checkedText(what: string, problem: (s: string) => string | undefined): Kind<string> {
  return {
    read(input) {
      if (typeof input !== 'string') return no(`must be ${what} in quotes (got ${shown(input)})`);
      const why = problem(input);
      return why ? no(`must be ${what}: ${why} (got ${shown(input)})`) : ok(input);
    },
    check: (v) => {
      const why = problem(v);
      return why ? `must be ${what}: ${why}` : undefined;
    },
    describe: () => what,
    show: (v) => v,
  };
}

/** A flag that takes no value (--print-link): present means true. */
export const presence: Kind<boolean> = {
  read: (input) => (input === true ? ok(true) : no('takes no value')),
  check: () => undefined,
  describe: () => 'on when given',
  // A switch has no value to write: --help shows no default for it.
  show: () => '',
};

/** Two whole numbers written "A<sep>B" with A ≤ B, each in [min, max]; "A" alone means A<sep>A when `single`. */
export function orderedPair(sep: string, min: number, max: number, example: string, single: boolean): Kind<[number, number]> {
  const what = `two whole numbers from ${min} to ${max} written like ${example}, the first not above the second`;
  const valid = ([a, b]: [number, number]): boolean => Number.isInteger(a) && Number.isInteger(b) && a >= min && b <= max && a <= b;
  return {
    read(input) {
      const parts = typeof input === 'string' ? input.split(sep) : [];
      const nums = parts.map((p) => (/^\d+$/.test(p.trim()) ? Number(p) : NaN));
      const pair: [number, number] | undefined = nums.length === 2 ? [nums[0]!, nums[1]!] : nums.length === 1 && single ? [nums[0]!, nums[0]!] : undefined;
      return pair && valid(pair) ? ok(pair) : no(`must be ${what} (got ${shown(input)})`);
    },
    check: (v) => (valid(v) ? undefined : `must be ${what} (got ${v.join(sep)})`),
    describe: () => what,
    show: (v) => v.join(sep),
  };
}

/** A picture size "WxH": both even (4:2:0 video), width 16–4096, height 16–2160. */
export const pictureSize: Kind<{ readonly width: number; readonly height: number }> = (() => {
  const what = 'an even width and height such as "1280x720" or "1920x1080" (at most 4096x2160)';
  const valid = (s: { width: number; height: number }): boolean =>
    Number.isInteger(s.width) && Number.isInteger(s.height) && s.width >= 16 && s.width <= 4096 && s.height >= 16 && s.height <= 2160 && s.width % 2 === 0 && s.height % 2 === 0;
  return {
    read(input) {
      const m = typeof input === 'string' ? /^(\d+)x(\d+)$/.exec(input.trim()) : null;
      const size = m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
      return size && valid(size) ? ok(size) : no(`must be ${what} (got ${shown(input)})`);
    },
    check: (v) => (valid(v) ? undefined : `must be ${what} (got ${v.width}x${v.height})`),
    describe: () => what,
    show: (v) => `${v.width}x${v.height}`,
  };
})();

/** Like `inner`, but also absent (undefined): the default of settings nobody has to set. */
export function optional<T>(inner: Kind<T>): Kind<T | undefined> {
  return {
    read: (input, from, scale) => inner.read(input, from, scale),
    check: (v) => (v === undefined ? undefined : inner.check(v)),
    describe: (scale) => inner.describe(scale),
    show: (v, scale, from) => (v === undefined ? '' : inner.show(v, scale, from)),
  };
}
