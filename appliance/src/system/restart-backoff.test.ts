import { describe, expect, it } from 'vitest';
import { defaultBackoff, initialBackoffState, onFailure, type BackoffState } from './restart-backoff.js';

describe('onFailure back-off', () => {
  const run = (ups: number[]): number[] => {
    let state: BackoffState = initialBackoffState;
    return ups.map((up) => {
      const r = onFailure(defaultBackoff, state, up);
      state = r.state;
      return r.delayMs;
    });
  };
  const cases: Array<{ name: string; ups: number[]; delays: number[] }> = [
    { name: 'doubles from 250 ms while failures come quickly', ups: [10, 10, 10, 10], delays: [250, 500, 1000, 2000] },
    { name: 'caps at 8 s', ups: [0, 0, 0, 0, 0, 0, 0, 0], delays: [250, 500, 1000, 2000, 4000, 8000, 8000, 8000] },
    { name: 'resets after 10 s of health', ups: [0, 0, 0, 10_000, 0], delays: [250, 500, 1000, 250, 500] },
    { name: 'just under 10 s does not reset', ups: [0, 9_999], delays: [250, 500] },
  ];
  for (const c of cases) it(c.name, () => expect(run(c.ups)).toEqual(c.delays));
});
