import { describe, expect, it } from 'vitest';
import { fonts, hasGlyphs } from './bitmap-font.js';

const rowsOf = (ch: string): string => [...fonts.regular.glyph(ch.codePointAt(0)!)].join(',');

describe('bundled fonts', () => {
  it('are 8 pixels wide, 16 and 13 rows, one byte per row', () => {
    expect([fonts.regular.width, fonts.regular.height, fonts.regular.glyph(0x41).length]).toEqual([8, 16, 16]);
    expect([fonts.small.width, fonts.small.height, fonts.small.glyph(0x41).length]).toEqual([8, 13, 13]);
  });

  it('draws "1" of misc-fixed 8x16 row for row', () => {
    expect([...fonts.regular.glyph(0x31)].map((b) => b.toString(2).padStart(8, '0').replace(/0/g, '.').replace(/1/g, '#'))).toEqual([
      '........', '........', '........', '........', '....#...', '...##...', '..#.#...', '....#...',
      '....#...', '....#...', '....#...', '....#...', '....#...', '..#####.', '........', '........',
    ]);
  });

  const covered: Array<[string, string]> = [
    ['French letters and punctuation', 'éèêëàâçôöûùüïîœŒÉÈÊÀÇÔÛ«»’€…'],
    ['slate English', 'No signal — check the HDMI cable'],
    ['slate French', 'Pas de signal — vérifiez le câble HDMI'],
    ['test pattern clock and label', '23:59:59.999 #000123 sonobox test pattern 1280×720@30'],
  ];
  for (const [name, text] of covered) {
    it(`has every glyph for ${name}`, () => {
      for (const font of Object.values(fonts)) expect(hasGlyphs(font, text), font.name).toBe(true);
    });
  }

  it('gives distinct glyphs to look-alikes', () => {
    for (const [a, b] of [['0', 'O'], ['1', 'l'], ['e', 'é'], ['c', 'ç'], ['-', '—'], ['x', '×']] as const) expect(rowsOf(a)).not.toBe(rowsOf(b));
  });

  it('a missing glyph draws the replacement, not nothing', () => {
    expect(hasGlyphs(fonts.regular, '漢')).toBe(false);
    expect(hasGlyphs(fonts.regular, '☃')).toBe(false);
    expect(fonts.regular.glyph(0x6f22).some((row) => row !== 0)).toBe(true);
  });
});
