import { describe, expect, it } from 'vitest';
import { MAX_COUNTER } from './wire-format.js';
import { admit, freshWindow, WINDOW, type ReplayWindow } from './replay-window.js';

/** Feeds counters in order; returns which were admitted. */
function feed(ns: number[], start: ReplayWindow = freshWindow): boolean[] {
  let w = start;
  return ns.map((n) => {
    const r = admit(w, n);
    w = r.window;
    return r.ok;
  });
}

describe('replay window (RFC 4303 §3.4.3 style, no clock)', () => {
  it.each([
    ['in order', [1, 2, 3, 4], [true, true, true, true]],
    ['the same number twice', [1, 2, 2], [true, true, false]],
    ['the first number twice', [1, 1], [true, false]],
    ['overtaken within the window (concurrent requests)', [1, 3, 2, 5, 4], [true, true, true, true, true]],
    ['an overtaken number replayed', [1, 3, 2, 2, 3], [true, true, true, false, false]],
    ['gaps are fine (requests that never arrived)', [1, 7, 20], [true, true, true]],
    ['a late number just inside the window', [1, WINDOW, 2], [true, true, true]],
    ['a late number just outside the window', [1, WINDOW + 2, 2], [true, true, false]],
    ['a jump beyond the window forgets what was below it', [1, 2, 100, 68, 69, 2], [true, true, true, false, true, false]],
    ['starting above 1 (a failed first claim used 1)', [2, 1], [true, true]],
  ])('%s', (_name, ns, admitted) => {
    expect(feed(ns)).toEqual(admitted);
  });

  it('works up to the largest counter', () => {
    expect(feed([MAX_COUNTER - 1, MAX_COUNTER, MAX_COUNTER, MAX_COUNTER - 2])).toEqual([true, true, false, true]);
  });

  it('a refusal returns the window unchanged', () => {
    const w = admit(admit(freshWindow, 5).window, 6).window;
    expect(admit(w, 5)).toEqual({ ok: false, window: w });
    expect(admit(w, 6 - WINDOW)).toEqual({ ok: false, window: w });
  });

  it('agrees with a plain set-based model over a long seeded run', () => {
    // The model: admit n iff it was never admitted and is above (highest admitted - WINDOW).
    let seed = 0x5eed;
    const rand = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let w = freshWindow;
    const model = new Set<number>();
    let top = 0;
    let admitted = 0;
    const disagreements: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const n = Math.max(1, top - WINDOW - 4 + Math.floor(rand() * (WINDOW + 12)));
      const expected = !model.has(n) && n > top - WINDOW;
      const r = admit(w, n);
      if (r.ok !== expected) disagreements.push(n);
      if (expected) {
        model.add(n);
        top = Math.max(top, n);
        admitted++;
      }
      w = r.window;
    }
    expect(disagreements).toEqual([]);
    expect(admitted).toBeGreaterThan(5_000); // the run really exercised admissions
  });
});
