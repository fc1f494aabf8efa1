import { describe, expect, it } from 'vitest';
import type { CartEffect, CartEvent, CartLimits, CartState, SessionCounts } from './cart-lifecycle.js';
import { idleCart, nextDeadline, screenFor, transition } from './cart-lifecycle.js';

const limits: CartLimits = { maxSessionMs: 60 * 60_000, noViewerMs: 10 * 60_000, endedScreenMs: 4_000 };
const min = 60_000;
const counts = (viewers: number, linksOutstanding = 0, maxViewers = 1, active = true, viewerChanges = 0): SessionCounts => ({ active, viewers, linksOutstanding, maxViewers, viewerChanges });
const link = 'http://box/v#t=x';
const issued = (c: SessionCounts): CartEvent => ({ type: 'link-issued', link, code: 'AAA-BBB', counts: c });

type Step = readonly [at: number, event: CartEvent];
/** Runs events in order, with 'tick's injected at every deadline passed (like the controller's timer). */
function run(steps: readonly Step[]): { kinds: string[]; effects: [number, CartEffect['type'], string?][]; state: CartState } {
  let state: CartState = idleCart;
  const kinds: string[] = [];
  const effects: [number, CartEffect['type'], string?][] = [];
  const apply = (at: number, e: CartEvent): void => {
    const r = transition(state, e, at, limits);
    if (r.state.kind !== state.kind) kinds.push(r.state.kind);
    state = r.state;
    for (const f of r.effects) effects.push(f.type === 'end-session' ? [at, f.type, f.reason] : [at, f.type]);
  };
  for (const [at, e] of steps) {
    for (let d = nextDeadline(state, limits); d !== undefined && d <= at; d = nextDeadline(state, limits)) {
      const before = state;
      apply(d, { type: 'tick' });
      if (state === before) break;
    }
    apply(at, e);
  }
  return { kinds, effects, state };
}

const cases: { name: string; steps: Step[]; kinds: string[]; effects: [number, CartEffect['type'], string?][] }[] = [
  {
    name: 'press → link → viewer joins → long press → ended → idle',
    steps: [[0, { type: 'short-press' }], [1, issued(counts(0, 1))], [20_000, { type: 'session-changed', counts: counts(1) }], [5 * min, { type: 'long-press' }], [5 * min + 4_000, { type: 'tick' }]],
    kinds: ['sharing', 'watching', 'ended', 'idle'],
    effects: [[0, 'issue-link'], [5 * min, 'end-session', 'button'], [5 * min + 4_000, 'clear-session']],
  },
  {
    name: 'no viewer for 10 min ends the session',
    steps: [[0, { type: 'short-press' }], [0, issued(counts(0, 1))], [11 * min, { type: 'tick' }]],
    kinds: ['sharing', 'ended', 'idle'],
    effects: [[0, 'issue-link'], [10 * min, 'end-session', 'no-viewer'], [10 * min + 4_000, 'clear-session']],
  },
  {
    name: 'the no-viewer clock restarts when the last viewer leaves',
    steps: [[0, issued(counts(0, 1))], [9 * min, { type: 'session-changed', counts: counts(1) }], [30 * min, { type: 'session-changed', counts: counts(0) }], [39 * min, { type: 'tick' }], [41 * min, { type: 'tick' }]],
    kinds: ['sharing', 'watching', 'ended', 'idle'],
    effects: [[40 * min, 'end-session', 'no-viewer'], [40 * min + 4_000, 'clear-session']],
  },
  {
    name: 'max duration ends a watched session at 60 min',
    steps: [[0, issued(counts(0, 1))], [1000, { type: 'session-changed', counts: counts(1) }], [59 * min, { type: 'tick' }], [61 * min, { type: 'tick' }]],
    kinds: ['sharing', 'watching', 'ended', 'idle'],
    effects: [[60 * min, 'end-session', 'max-duration'], [60 * min + 4_000, 'clear-session']],
  },
  {
    name: 'watching with room: press issues a second link, the second viewer joins',
    steps: [[0, issued(counts(0, 1, 2))], [10, { type: 'session-changed', counts: counts(1, 0, 2) }], [20, { type: 'short-press' }], [21, issued(counts(1, 1, 2))], [30, { type: 'session-changed', counts: counts(2, 0, 2) }], [40, { type: 'short-press' }]],
    kinds: ['sharing', 'watching', 'sharing', 'watching'],
    effects: [[20, 'issue-link']],
  },
  {
    name: 'watching when full: press does nothing',
    steps: [[0, issued(counts(0, 1))], [10, { type: 'session-changed', counts: counts(1) }], [20, { type: 'short-press' }]],
    kinds: ['sharing', 'watching'],
    effects: [],
  },
  {
    name: 'sharing, pressed again (the QR did not scan): a new link replaces it, still "Link 1 / 1"',
    steps: [[0, { type: 'short-press' }], [1, issued(counts(0, 1))], [10, { type: 'short-press' }], [11, issued(counts(0, 1))]],
    kinds: ['sharing'],
    effects: [[0, 'issue-link'], [10, 'issue-link']],
  },
  {
    name: 'link refused while sharing keeps the QR',
    steps: [[0, issued(counts(0, 1))], [10, { type: 'short-press' }], [11, { type: 'link-refused' }]],
    kinds: ['sharing'],
    effects: [[10, 'issue-link']],
  },
  {
    name: 'the link on screen expires unused: stop showing it',
    steps: [[0, issued(counts(0, 1))], [5 * min, { type: 'session-changed', counts: counts(0, 0) }]],
    kinds: ['sharing', 'watching'],
    effects: [],
  },
  {
    name: 'session ended elsewhere (API) shows ended without ending again',
    steps: [[0, issued(counts(0, 1))], [10, { type: 'session-changed', counts: counts(0, 0, 1, false) }], [4010, { type: 'tick' }]],
    kinds: ['sharing', 'ended', 'idle'],
    effects: [[4010, 'clear-session']],
  },
  {
    name: 'session started elsewhere (at launch) is watched and timed',
    steps: [[0, { type: 'session-changed', counts: counts(0, 1) }], [10 * min, { type: 'tick' }]],
    kinds: ['watching', 'ended'],
    effects: [[10 * min, 'end-session', 'no-viewer']],
  },
  {
    name: 'presses during the ended screen are ignored',
    steps: [[0, issued(counts(0, 1))], [10, { type: 'long-press' }], [20, { type: 'short-press' }], [30, { type: 'long-press' }]],
    kinds: ['sharing', 'ended'],
    effects: [[10, 'end-session', 'button']],
  },
  { name: 'long press in idle does nothing', steps: [[0, { type: 'long-press' }]], kinds: [], effects: [] },
];

describe('cart lifecycle', () => {
  it.each([
    { name: 'the first link', steps: [[0, issued(counts(0, 1))]] as Step[], want: 1 },
    { name: 'a replacement while sharing keeps its place', steps: [[0, issued(counts(0, 1))], [10, issued(counts(0, 1))]] as Step[], want: 1 },
    { name: 'a second link beside a viewer', steps: [[0, issued(counts(0, 1, 2))], [5, { type: 'session-changed', counts: counts(1, 0, 2) }], [10, issued(counts(1, 1, 2))]] as Step[], want: 2 },
    { name: 'a second link beside an unused one', steps: [[0, issued(counts(0, 1, 2))], [10, issued(counts(0, 2, 2))]] as Step[], want: 2 },
  ])('"Link n / max" numbers the place: $name → $want', ({ steps, want }) => {
    const { state } = run(steps);
    expect(state.kind === 'sharing' ? state.session.linkNumber : -1).toBe(want);
  });

  for (const c of cases) {
    it(c.name, () => {
      const r = run(c.steps);
      expect(r.kinds).toEqual(c.kinds);
      expect(r.effects).toEqual(c.effects);
    });
  }
});

describe('screenFor', () => {
  const watching = { kind: 'watching', session: { startedAt: 1000, viewers: 1, maxViewers: 2, noViewerSince: null, linkNumber: 1, viewerChanges: 0 } } as const satisfies CartState;
  const sharing: CartState = { kind: 'sharing', session: { startedAt: 0, viewers: 0, maxViewers: 1, noViewerSince: 0, linkNumber: 1, viewerChanges: 0 }, link, code: 'AAA-BBB' };
  const reconnected: CartState = { kind: 'watching', session: { ...watching.session, viewerChanges: 2 } };
  const cases = [
    { name: 'idle live', state: idleCart, cond: 'live', want: { screen: 'idle', signal: true } },
    { name: 'idle without signal', state: idleCart, cond: 'no-signal', want: { screen: 'idle', signal: false } },
    { name: 'idle without dongle', state: idleCart, cond: 'no-device', want: { screen: 'error', problem: 'no-device', sessionActive: false } },
    { name: 'watching live', state: watching, cond: 'live', want: { screen: 'watching', viewers: 1, maxViewers: 2, elapsedMs: 61_000 } },
    { name: 'watching after the link moved to a new connection twice: the cart says so', state: reconnected, cond: 'live', want: { screen: 'watching', viewers: 1, maxViewers: 2, elapsedMs: 61_000, viewerChanges: 2 } },
    { name: 'watching, cable out', state: watching, cond: 'no-sync', want: { screen: 'no-signal', sessionActive: true } },
    { name: 'watching, capture error', state: watching, cond: 'error', want: { screen: 'error', problem: 'capture-error', sessionActive: true } },
    { name: 'sharing keeps the QR whatever the signal', state: sharing, cond: 'no-device', want: { screen: 'sharing', link, code: 'AAA-BBB', linkNumber: 1, maxViewers: 1 } },
  ] as const;
  for (const c of cases) it(c.name, () => expect(screenFor(c.state, c.cond, 62_000)).toEqual(c.want));

  const problem = 'language must be one of "en", "fr" (got "de"); using the default.';
  const unwatched: CartState = { kind: 'watching', session: { ...watching.session, viewers: 0, noViewerSince: 0 } };
  const configCases = [
    { name: 'idle: the settings problem, before capture trouble', state: idleCart, cond: 'no-device', want: { screen: 'error', problem: 'config', detail: problem, sessionActive: false } },
    { name: 'a session nobody watches yet: the settings problem', state: unwatched, cond: 'live', want: { screen: 'error', problem: 'config', detail: problem, sessionActive: true } },
    { name: 'someone watching: the session screen', state: watching, cond: 'live', want: { screen: 'watching', viewers: 1, maxViewers: 2, elapsedMs: 61_000 } },
    { name: 'sharing: the QR code', state: sharing, cond: 'live', want: { screen: 'sharing', link, code: 'AAA-BBB', linkNumber: 1, maxViewers: 1 } },
  ] as const;
  for (const c of configCases) it(`settings problem, ${c.name}`, () => expect(screenFor(c.state, c.cond, 62_000, problem)).toEqual(c.want));
  it('mask.preset "none": every session\'s QR screen says the mask is off; a masking box says nothing', () => {
    expect(screenFor(sharing, 'live', 62_000, undefined, true)).toEqual({ screen: 'sharing', link, code: 'AAA-BBB', linkNumber: 1, maxViewers: 1, maskOff: true });
    expect(screenFor(sharing, 'live', 62_000, undefined, false)).not.toHaveProperty('maskOff');
  });
});
