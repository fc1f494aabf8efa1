import { describe, expect, it } from 'vitest';
import type { ButtonAction } from './button.js';
import { PressClassifier } from './button.js';

type Step = readonly [at: number, what: 'press' | 'release' | 'repeat' | 'tick'];
const value = { release: 0, press: 1, repeat: 2 } as const;

/** Runs steps on a fake clock; the timer fires at nextDeadline() like the wrapper's setTimeout. */
function run(steps: readonly Step[], doublePressMs = 0): [number, ButtonAction][] {
  const c = new PressClassifier({ debounceMs: 30, longPressMs: 2000, doublePressMs });
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

// With the mute gesture on (400 ms, the default): a share waits that long for a second press.
const gestureCases: { name: string; steps: Step[]; want: [number, ButtonAction][] }[] = [
  { name: 'a short press shares once no second press came within 400 ms', steps: [[0, 'press'], [150, 'release']], want: [[580, 'share']] },
  { name: 'two quick presses mute (no share)', steps: [[0, 'press'], [100, 'release'], [300, 'press'], [400, 'release']], want: [[430, 'mute']] },
  { name: 'four quick presses mute, then unmute', steps: [[0, 'press'], [100, 'release'], [300, 'press'], [400, 'release'], [600, 'press'], [700, 'release'], [900, 'press'], [1000, 'release']], want: [[430, 'mute'], [1030, 'mute']] },
  { name: 'a second press after the window is a second share', steps: [[0, 'press'], [100, 'release'], [600, 'press'], [700, 'release']], want: [[530, 'share'], [1130, 'share']] },
  { name: 'contact bounce on the release is not a second press', steps: [[0, 'press'], [100, 'release'], [105, 'press'], [110, 'release']], want: [[540, 'share']] },
  { name: 'a second press held 2 s ends the session (no share, no mute)', steps: [[0, 'press'], [100, 'release'], [300, 'press'], [3000, 'release']], want: [[2300, 'end']] },
  { name: 'a long press still ends at 2 s', steps: [[0, 'press'], [5000, 'release']], want: [[2000, 'end']] },
  { name: 'a glitch as the second press leaves the first press a share', steps: [[0, 'press'], [100, 'release'], [300, 'press'], [305, 'release']], want: [[305, 'share']] },
];

describe('PressClassifier', () => {
  for (const c of cases) it(c.name, () => expect(run(c.steps)).toEqual(c.want));
  for (const c of gestureCases) it(`mute gesture: ${c.name}`, () => expect(run(c.steps, 400)).toEqual(c.want));

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
