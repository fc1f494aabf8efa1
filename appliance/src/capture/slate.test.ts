import { describe, expect, it } from 'vitest';
import { canRender } from '../font/text.js';
import { SourceCondition } from '../media/source-condition.js';
import { readStampFromRgba, stampBandHeight } from './frame-stamp.js';
import { cellSize, textWidth } from '../font/text.js';
import { renderSlate, slateLayout, slateText } from './slate.js';

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

  const sizes = [[320, 240], [640, 360], [640, 480], [720, 576], [1280, 720], [1920, 1080]] as const;
  const texts: Array<[string, string, string]> = [
    ...Object.values(SourceCondition).map((c): [string, string, string] => [c, ...slateText[c]]),
    ['French hint', 'Pas de signal — vérifiez le câble HDMI', 'Le scanner est-il allumé et sa sortie vidéo activée ?'],
  ];
  for (const [w, h] of sizes) {
    it(`${w}x${h}: every line of every slate fits the width, below the stamp band and above the bottom`, () => {
      const band = stampBandHeight(w);
      for (const [name, headline, hint] of texts) {
        const lines = slateLayout(w, h, headline, hint);
        expect(lines.map((l) => l.text).join(' '), name).toBe([headline, hint].filter(Boolean).join(' '));
        for (const l of lines) {
          expect(l.x, `${name}: "${l.text}"`).toBeGreaterThanOrEqual(0);
          expect(l.x + textWidth(l.text, { scale: l.scale }), `${name}: "${l.text}"`).toBeLessThanOrEqual(w);
          expect(l.y, `${name}: "${l.text}"`).toBeGreaterThanOrEqual(band);
          expect(l.y + cellSize({ scale: l.scale }).height, `${name}: "${l.text}"`).toBeLessThanOrEqual(h);
        }
        // Lines do not overlap, and the headline is never smaller than the hint.
        for (let i = 1; i < lines.length; i++) expect(lines[i]!.y).toBeGreaterThanOrEqual(lines[i - 1]!.y + cellSize({ scale: lines[i - 1]!.scale }).height);
        expect(lines[0]!.scale).toBeGreaterThanOrEqual(lines[lines.length - 1]!.scale);
      }
    });
  }

  it('draws nothing in the side margins (the text really is inside the width)', () => {
    for (const [w, h] of sizes) {
      const f = renderSlate(w, h, 'no-sync', { seq: 1, timeMs: t });
      for (let y = stampBandHeight(w); y < h; y++) {
        expect(f[y * w]).toBe(32);
        expect(f[y * w + w - 1]).toBe(32);
      }
    }
  });
});
