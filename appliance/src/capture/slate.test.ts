import { describe, expect, it } from 'vitest';
import { canRender } from './bitmap-font.js';
import { SourceCondition } from './frame-source.js';
import { readStampFromRgba } from './frame-stamp.js';
import { renderSlate, slateText } from './slate.js';

function lumaToRgba(y: Buffer, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    const v = ((y[i]! - 16) * 255) / 219;
    out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = v;
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Count of bright luma pixels below the stamp band: how much text was drawn. */
const inked = (f: Buffer, w: number, h: number): number => {
  let n = 0;
  for (let i = 40 * w; i < w * h; i++) if (f[i]! > 128) n++;
  return n;
};

describe('renderSlate', () => {
  const t = 1_732_000_000_000;
  for (const c of Object.values(SourceCondition)) {
    it(`${c}: text renders with the font, stamp reads back`, () => {
      const [a, b] = slateText[c];
      expect(canRender(a + b)).toBe(true);
      const f = renderSlate(1280, 720, c, { seq: 77, timeMs: t });
      expect(f.length).toBe(1280 * 720 * 1.5);
      expect(readStampFromRgba(lumaToRgba(f, 1280, 720), 1280, 720)).toEqual({ seq: 77, timeMs: t });
      expect(inked(f, 1280, 720)).toBeGreaterThan(300);
    });
  }

  it('says "No signal — check the HDMI cable" for no-signal', () => {
    expect(slateText['no-signal'][0]).toBe('No signal — check the HDMI cable');
  });

  it('is pure: same inputs, same bytes; different hint, different bytes', () => {
    const a = renderSlate(640, 360, 'no-signal', { seq: 1, timeMs: t });
    expect(renderSlate(640, 360, 'no-signal', { seq: 1, timeMs: t }).equals(a)).toBe(true);
    expect(renderSlate(640, 360, 'no-signal', { seq: 1, timeMs: t, hint: 'Vérifiez le câble' }).equals(a)).toBe(false);
  });

  it('fits small pictures without throwing', () => {
    for (const [w, h] of [[160, 120], [320, 240], [1920, 1080]] as const) {
      expect(readStampFromRgba(lumaToRgba(renderSlate(w, h, 'no-device', { seq: 3, timeMs: t }), w, h), w, h)).toEqual({ seq: 3, timeMs: t });
    }
  });
});
