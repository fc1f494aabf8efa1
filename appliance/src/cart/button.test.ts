import { describe, expect, it } from 'vitest';
import type { ButtonAction } from './button.js';
import { PressClassifier } from './button.js';

type Step = readonly [at: number, what: 'press' | 'release' | 'repeat' | 'tick'];
const value = { release: 0, press: 1, repeat: 2 } as const;

/** Runs steps on a fake clock; the timer fires at nextDeadline() like the wrapper's setTimeout. */
function run(steps: readonly Step[]): [number, ButtonAction][] {
  const c = new PressClassifier({ debounceMs: 30, longPressMs: 2000 });
  const out: [number, ButtonAction][] = [];
  const fireTimersUntil = (t: number): void => {
    for (let d = c.nextDeadline(); d !== undefined && d <= t; d = c.nextDeadline()) {
      for (const a of c.tick(d)) out.push([d, a]);
    }
  };
  for (const [at, what] of steps) {
    fireTimersUntil(at);
    if (what === 'tick') continue;
    for (const a of c.processInput(value[what], at)) out.push([at, a]);
  }
  fireTimersUntil(Number.MAX_SAFE_INTEGER);
  return out;
}

const cases: { name: string; steps: Step[]; want: [number, ButtonAction][] }[] = [
  { name: 'short press shares once the release settles', steps: [[0, 'press'], [150, 'release']], want: [[180, 'share']] },
  { name: 'long press ends at 2 s while still held', steps: [[0, 'press'], [5000, 'release']], want: [[2000, 'end']] },
  { name: 'release just before 2 s is a short press', steps: [[0, 'press'], [1990, 'release']], want: [[2020, 'share']] },
  { name: 'glitch shorter than debounce is ignored', steps: [[0, 'press'], [10, 'release']], want: [] },
  {
    name: 'contact bounce on press and release makes one share',
    steps: [[0, 'press'], [2, 'release'], [4, 'press'], [7, 'release'], [9, 'press'], [300, 'release'], [305, 'press'], [310, 'release']],
    want: [[340, 'share']],
  },
  { name: 'bounce on release of a long press does not add a share', steps: [[0, 'press'], [2500, 'release'], [2510, 'press'], [2520, 'release']], want: [[2000, 'end']] },
  {
    name: 'autorepeat while held is ignored',
    steps: [[0, 'press'], [250, 'repeat'], [283, 'repeat'], [316, 'repeat'], [400, 'release']],
    want: [[430, 'share']],
  },
  { name: 'two quick presses are two shares', steps: [[0, 'press'], [100, 'release'], [200, 'press'], [300, 'release']], want: [[130, 'share'], [330, 'share']] },
  {
    name: 'a press arriving after an unticked release still reports the first share',
    steps: [[0, 'press'], [100, 'release'], [500, 'press'], [600, 'release']],
    want: [[130, 'share'], [630, 'share']],
  },
  { name: 'release with no press is ignored', steps: [[0, 'release']], want: [] },
];

describe('PressClassifier', () => {
  for (const c of cases) it(c.name, () => expect(run(c.steps)).toEqual(c.want));

  it('without a timer, processInput still reports the long press late (at the next event)', () => {
    const c = new PressClassifier({ debounceMs: 30, longPressMs: 2000 });
    expect(c.processInput(1, 0)).toEqual([]);
    expect(c.processInput(0, 3000)).toEqual(['end']);
    expect(c.tick(3100)).toEqual([]);
  });

  it('reset() forgets a press in progress (device unplugged while held)', () => {
    const c = new PressClassifier({ debounceMs: 30, longPressMs: 2000 });
    c.processInput(1, 0);
    c.reset();
    expect(c.tick(5000)).toEqual([]);
    expect(c.nextDeadline()).toBeUndefined();
  });
});
