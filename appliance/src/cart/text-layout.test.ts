import { describe, expect, it } from 'vitest';
import { fonts, hasGlyphs } from './bitmap-font.js';
import { languages, messages } from './messages.js';
import { fitText, wrapText } from './text-layout.js';

describe('wrapText', () => {
  const cases = [
    { name: 'fits on one line', text: 'Hold 2 s', max: 10, lines: ['Hold 2 s'], fits: true },
    { name: 'breaks at spaces', text: 'Press the button to share', max: 10, lines: ['Press the', 'button to', 'share'], fits: true },
    { name: 'keeps explicit line breaks', text: 'a b\nc', max: 10, lines: ['a b', 'c'], fits: true },
    { name: 'no-break space holds "2\u00a0s" together', text: 'Maintenez 2\u00a0s', max: 11, lines: ['Maintenez', '2\u00a0s'], fits: true },
    { name: 'counts accented letters as one', text: 'échographie', max: 11, lines: ['échographie'], fits: true },
    { name: 'cuts a word longer than a line', text: 'abcdefgh', max: 3, lines: ['abc', 'def', 'gh'], fits: false },
  ];
  for (const c of cases) {
    it(c.name, () => expect(wrapText(c.text, c.max)).toEqual({ lines: c.lines, fits: c.fits }));
  }
});

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

describe('bundled font', () => {
  it('has glyphs for French letters and punctuation', () => {
    const french = 'éèêëàâçôöûùüïîœŒÉÈÊÀÇÔÛ«»’€…';
    for (const font of Object.values(fonts)) expect(hasGlyphs(font, french), font.name).toBe(true);
  });
  it('has glyphs for every message in every language', () => {
    for (const lang of languages) {
      const m = messages[lang];
      const all = Object.values(m).flatMap((v) => (typeof v === 'string' ? [v] : typeof v === 'function' ? [m.viewers(2), m.linkOf(1, 2)] : Object.values(v as object)));
      for (const text of all) expect(hasGlyphs(fonts.small, text as string), `${lang}: ${String(text)}`).toBe(true);
    }
  });
  it('a missing glyph draws the replacement, not nothing', () => {
    expect(hasGlyphs(fonts.regular, '漢')).toBe(false);
    expect(fonts.regular.glyph(0x6f22).some((row) => row !== 0)).toBe(true);
  });
});
