import { describe, expect, it } from 'vitest';
import { wrapBalanced, wrapText } from './wrap-text.js';

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


describe('wrapBalanced', () => {
  const cases = [
    { name: 'one line stays one line', text: 'Reconnecting…', max: 36, lines: ['Reconnecting…'] },
    { name: 'evens out two lines', text: 'Signal unstable — check the HDMI cable', max: 36, lines: ['Signal unstable —', 'check the HDMI cable'] },
    { name: 'never more lines than greedy', text: 'Is the scanner on and its video output enabled?', max: 36, lines: ['Is the scanner on and its', 'video output enabled?'] },
    { name: 'a word longer than a line is cut as greedy cuts it', text: 'abcdefgh ij', max: 3, lines: ['abc', 'def', 'gh', 'ij'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const w = wrapBalanced(c.text, c.max);
      expect(w.lines).toEqual(c.lines);
      expect(w.lines.length).toBeLessThanOrEqual(wrapText(c.text, c.max).lines.length);
    });
  }
});
