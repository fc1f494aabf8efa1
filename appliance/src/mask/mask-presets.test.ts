import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config.js';
import { activePreset, builtInPresets, parsePreset, parsePresets, resolveRects, type MaskPreset } from './mask-presets.js';

const good = { name: 'acme-x1', description: 'Acme X1 console', sets: [{ width: 1280, height: 720, rects: [{ x: 0, y: 0, width: 1, height: 0.1 }] }] };
const withSet = (set: unknown): unknown => ({ ...good, sets: [set] });
const withRect = (rect: unknown): unknown => withSet({ width: 1280, height: 720, rects: [rect] });

describe('parsePreset: names the preset and what is wrong', () => {
  const cases: { name: string; raw: unknown; error: RegExp }[] = [
    { name: 'not an object', raw: 'x', error: /mask preset acme\.json: must be a JSON object/ },
    { name: 'name not kebab-case', raw: { ...good, name: 'Acme X1' }, error: /name must be kebab-case.*"Acme X1"/ },
    { name: '"none" is reserved', raw: { ...good, name: 'none' }, error: /"none" is reserved/ },
    { name: 'no description', raw: { ...good, description: ' ' }, error: /"acme-x1" \(acme\.json\): needs a description/ },
    { name: 'no sets', raw: { ...good, sets: [] }, error: /"acme-x1".*at least one entry in "sets"/ },
    { name: 'odd width', raw: withSet({ width: 1279, height: 720, rects: [] }), error: /sets\[0\] width and height must be even.*1279x720/ },
    { name: 'missing height', raw: withSet({ width: 1280, rects: [] }), error: /sets\[0\].*1280xundefined/ },
    { name: 'repeated resolution', raw: { ...good, sets: [good.sets[0], good.sets[0]] }, error: /sets\[1\] repeats resolution 1280x720/ },
    { name: 'no rectangles', raw: withSet({ width: 1280, height: 720, rects: [] }), error: /sets\[0\] \(1280x720\) needs at least one rectangle/ },
    { name: 'pixel coordinates instead of fractions', raw: withRect({ x: 0, y: 0, width: 1280, height: 72 }), error: /rects\[0\]\.width must be a number from 0 to 1.*1280/ },
    { name: 'negative x', raw: withRect({ x: -0.1, y: 0, width: 0.5, height: 0.1 }), error: /rects\[0\]\.x must be a number from 0 to 1/ },
    { name: 'string y', raw: withRect({ x: 0, y: '0', width: 0.5, height: 0.1 }), error: /rects\[0\]\.y must be a number.*"0"/ },
    { name: 'empty rectangle', raw: withRect({ x: 0, y: 0, width: 0, height: 0.1 }), error: /rects\[0\] is empty/ },
    { name: 'reaches outside', raw: withRect({ x: 0.6, y: 0, width: 0.5, height: 0.1 }), error: /rects\[0\] reaches outside the picture/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(() => parsePreset(c.raw, 'acme.json')).toThrow(ConfigError);
      expect(() => parsePreset(c.raw, 'acme.json')).toThrow(c.error);
    });
  }
  it('accepts a good preset unchanged', () => {
    expect(parsePreset(good, 'acme.json')).toEqual(good);
  });
  it('refuses two presets with one name', () => {
    expect(() => parsePresets([['a.json', good], ['b.json', good]])).toThrow(/"acme-x1" is defined twice/);
  });
});

describe('built-in presets and the active one', () => {
  it('ships a generic preset and the test preset, all valid', () => {
    expect(builtInPresets.map((p) => p.name)).toEqual(['generic-top-banner', 'test-banner']);
  });
  it('"none" means no masking', () => {
    expect(activePreset('none')).toBeUndefined();
  });
  it('finds a preset by name', () => {
    expect(activePreset('generic-top-banner')?.sets.length).toBeGreaterThan(0);
  });
  it('an unknown name lists the known ones', () => {
    expect(() => activePreset('acme')).toThrow(/mask\.preset "acme" is not a known preset; choose one of: none, generic-top-banner, test-banner/);
  });
});

describe('resolveRects: fractions to even pixel edges, rounded outward', () => {
  const preset = (rect: { x: number; y: number; width: number; height: number }): MaskPreset => ({ name: 't', description: 't', sets: [{ width: 1280, height: 720, rects: [rect] }] });
  const cases = [
    { name: 'exact even edges stay put (float noise ignored)', rect: { x: 0.05, y: 0.1, width: 0.6, height: 0.1 }, px: { x: 64, y: 72, width: 768, height: 72 } },
    { name: 'odd start rounds down, odd end rounds up', rect: { x: 1 / 1280, y: 3 / 720, width: 2 / 1280, height: 2 / 720 }, px: { x: 0, y: 2, width: 4, height: 4 } },
    { name: 'fractional edges round outward', rect: { x: 0.8003, y: 0.8507, width: 0.1001, height: 0.0503 }, px: { x: 1024, y: 612, width: 130, height: 38 } },
    { name: 'whole picture', rect: { x: 0, y: 0, width: 1, height: 1 }, px: { x: 0, y: 0, width: 1280, height: 720 } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(resolveRects(preset(c.rect), 1280, 720)).toEqual([c.px]);
    });
  }
  it('a resolution without a set resolves to nothing', () => {
    expect(resolveRects(preset({ x: 0, y: 0, width: 1, height: 1 }), 1920, 1080)).toBeUndefined();
  });
});

describe('the mask slice of the configuration', () => {
  it('defaults to the generic top banner (a fresh box masks) and --mask-preset sets it, none included', async () => {
    const { defaultConfig } = await import('../config/config.js');
    const { parseCli } = await import('../config/cli.js');
    expect(defaultConfig.mask.preset).toBe('generic-top-banner');
    expect(parseCli(['--mask-preset', 'none']).config.mask.preset).toBe('none');
    expect(parseCli(['--mask-preset', 'test-banner']).config.mask.preset).toBe('test-banner');
  });
  it('a malformed or unknown name is a ConfigError when the command line is read, listing the presets', async () => {
    const { parseCli } = await import('../config/cli.js');
    expect(() => parseCli(['--mask-preset', 'Acme X1'])).toThrow(/^--mask-preset "Acme X1" is not a known preset; choose one of: none, generic-top-banner/);
    expect(() => activePreset(parseCli(['--mask-preset', 'acme-x1']).config.mask.preset)).toThrow(ConfigError);
  });
});
