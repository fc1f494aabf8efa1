import { describe, expect, it } from 'vitest';
import { fonts, hasGlyphs } from '../font/bitmap-font.js';
import { languages, messages } from './messages.js';
import { fitText } from './text-layout.js';

describe('fitText', () => {
  it('picks the largest style that fits and never exceeds the box', () => {
    const l = fitText('Session ended', { width: 800, height: 200 });
    expect(l.overflow).toBe(false);
    expect(l.width).toBeLessThanOrEqual(800);
    expect(l.height).toBeLessThanOrEqual(200);
    expect(l.style.scale).toBeGreaterThan(3);
  });

  it('reports overflow when even the smallest style is too big', () => {
    const l = fitText('Appuyez sur le bouton pour partager', { width: 40, height: 13 });
    expect(l.overflow).toBe(true);
    expect(l.lines.length).toBe(1);
  });
});

describe('cart messages in the bundled font', () => {
  it('has glyphs for every message in every language', () => {
    for (const lang of languages) {
      const m = messages[lang];
      const all = Object.values(m).flatMap((v) => (typeof v === 'string' ? [v] : typeof v === 'function' ? [m.viewers(2), m.linkOf(1, 2)] : Object.values(v as object)));
      for (const text of all) expect(hasGlyphs(fonts.small, text as string), `${lang}: ${String(text)}`).toBe(true);
    }
  });
});
