import { describe, expect, it } from 'vitest';
import { KeyframeRequestLimiter, ReaderQueue } from './reader-queue.js';

const K = { keyframe: true, id: 'K' };
const unit = (id: string) => ({ keyframe: id.startsWith('K'), id });

/** Pushes units named by letters (K… = keyframe, P… = not) and records results. */
function run(capacity: number, script: string[], shiftAfter: Record<number, number> = {}) {
  const q = new ReaderQueue<{ keyframe: boolean; id: string }>(capacity);
  const results: string[] = [];
  const delivered: string[] = [];
  script.forEach((id, i) => {
    results.push(q.push(unit(id)));
    for (let n = shiftAfter[i] ?? 0; n > 0; n--) {
      const u = q.shift();
      if (u) delivered.push(u.id);
    }
  });
  for (let u = q.shift(); u; u = q.shift()) delivered.push(u.id);
  return { results, delivered, discarded: q.discardedFrames, phase: q.phase };
}

describe('ReaderQueue', () => {
  const cases = [
    {
      name: 'a new reader skips until the first IDR (not counted as discarded)',
      capacity: 5, script: ['P1', 'P2', 'K3', 'P4'],
      want: { results: ['skipped', 'skipped', 'queued', 'queued'], delivered: ['K3', 'P4'], discarded: 0, phase: 'flowing' },
    },
    {
      name: 'overflow on a P-frame drops the backlog and everything until the next IDR',
      capacity: 2, script: ['K1', 'P2', 'P3', 'P4', 'K5', 'P6'],
      want: { results: ['queued', 'queued', 'overflowed', 'discarded', 'queued', 'queued'], delivered: ['K5', 'P6'], discarded: 4, phase: 'flowing' },
    },
    {
      name: 'overflow on an IDR drops the backlog but keeps the IDR',
      capacity: 2, script: ['K1', 'P2', 'K3', 'P4'],
      want: { results: ['queued', 'queued', 'overflowed', 'queued'], delivered: ['K3', 'P4'], discarded: 2, phase: 'flowing' },
    },
    {
      name: 'a reader that keeps up never overflows',
      capacity: 1, script: ['K1', 'P2', 'P3'], shiftAfter: { 0: 1, 1: 1, 2: 1 },
      want: { results: ['queued', 'queued', 'queued'], delivered: ['K1', 'P2', 'P3'], discarded: 0, phase: 'flowing' },
    },
    {
      name: 'still recovering when the stream has no IDR yet',
      capacity: 1, script: ['K1', 'P2', 'P3'],
      want: { results: ['queued', 'overflowed', 'discarded'], delivered: [], discarded: 3, phase: 'recovering' },
    },
  ];
  it.each(cases)('$name', ({ capacity, script, shiftAfter, want }) => {
    expect(run(capacity, script, shiftAfter)).toEqual(want);
  });

  it('rejects a capacity below 1', () => {
    expect(() => new ReaderQueue(0)).toThrow(RangeError);
  });

  it('keeps identity of queued units (no copies)', () => {
    const q = new ReaderQueue<typeof K>(3);
    q.push(K);
    expect(q.shift()).toBe(K);
  });
});

describe('KeyframeRequestLimiter (fake clock)', () => {
  it('sends the first request at once and defers the next within the interval', () => {
    const l = new KeyframeRequestLimiter(1000);
    expect(l.request(0)).toBe(true);
    expect(l.request(300)).toBe(false);
    expect(l.request(600)).toBe(false);
    expect(l.dueAtMs).toBe(1000);
    expect(l.poll(999)).toBe(false);
    expect(l.poll(1000)).toBe(true);
    expect(l.dueAtMs).toBeUndefined();
    expect(l.poll(5000)).toBe(false);
  });
  it('drops a deferred request when a keyframe is published before it is due', () => {
    const l = new KeyframeRequestLimiter(1000);
    l.request(0);
    l.request(100);
    l.keyframePublished();
    expect(l.dueAtMs).toBeUndefined();
    expect(l.poll(2000)).toBe(false);
  });
  it('sends again at once after the interval has passed', () => {
    const l = new KeyframeRequestLimiter(1000);
    expect(l.request(0)).toBe(true);
    expect(l.request(1000)).toBe(true);
    expect(l.request(1999)).toBe(false);
  });
  it('a deferred send restarts the interval', () => {
    const l = new KeyframeRequestLimiter(1000);
    l.request(0);
    l.request(500);
    expect(l.poll(1000)).toBe(true);
    expect(l.request(1500)).toBe(false);
    expect(l.dueAtMs).toBe(2000);
  });
});
