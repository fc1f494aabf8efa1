import { describe, expect, it } from 'vitest';
import { addressKey, defaultFailureBudget, initialLimiterState, judge, type FailureBudget, type FailureLimiterState, type LimitLog, type Verdict } from './failure-limiter.js';

/** Runs requests through the policy on a fake clock; collects verdicts and log lines. */
function run(requests: Array<{ address: string; valid: boolean; now: number }>, budget: FailureBudget = defaultFailureBudget, start: FailureLimiterState = initialLimiterState) {
  let state = start;
  const verdicts: Verdict[] = [];
  const logs: Array<{ now: number; log: LimitLog }> = [];
  for (const r of requests) {
    const j = judge(state, budget, r);
    state = j.state;
    verdicts.push(j.verdict);
    if (j.log) logs.push({ now: r.now, log: j.log });
  }
  return { state, verdicts, logs };
}

const strangers = ['192.168.1.66', '192.168.1.67', '192.168.1.68', '192.168.1.69', '192.168.1.70'];
/** 600 bad proofs from 5 addresses within 0.2 s, interleaved. */
const flood = (t0: number) => Array.from({ length: 600 }, (_, i) => ({ address: strangers[i % 5]!, valid: false, now: t0 + Math.floor((i * 200) / 600) }));

describe('failure limiter: the parent is never locked out', () => {
  it('600 bad proofs from 5 addresses in 0.2 s, then a valid one passes (from a stranger\'s address too)', () => {
    const { state, verdicts, logs } = run(flood(1_000));
    expect(verdicts.filter((v) => v.answer === 'refuse')).toHaveLength(120); // up to the global budget
    expect(verdicts.filter((v) => v.answer === 'limited')).toHaveLength(480);
    const after = run([{ address: '192.168.1.20', valid: true, now: 1_201 }, { address: strangers[0]!, valid: true, now: 1_202 }], defaultFailureBudget, state);
    expect(after.verdicts).toEqual([{ answer: 'pass' }, { answer: 'pass' }]);
    // Each limit is logged once in the window, not once per request.
    expect(logs.map((l) => l.log).sort()).toEqual(['address-limit', 'global-limit']);
  });

  it('the limited answer says when the window ends', () => {
    const { verdicts } = run(flood(1_000));
    expect(verdicts.at(-1)).toEqual({ answer: 'limited', retryAfterMs: 60_000 - 199 });
  });

  it('a new window counts afresh and logs again once', () => {
    const first = run(flood(1_000));
    const second = run(flood(61_000), defaultFailureBudget, first.state);
    expect(second.verdicts.slice(0, 5)).toEqual(Array(5).fill({ answer: 'refuse' }));
    expect(second.logs.map((l) => l.log).sort()).toEqual(['address-limit', 'global-limit']);
  });

  it('one address over its budget does not limit another address', () => {
    const budget = { ...defaultFailureBudget, perAddress: 3 };
    const { verdicts, logs } = run([1, 2, 3, 4, 5].map((i) => ({ address: '10.0.0.9', valid: false, now: i })).concat([{ address: '10.0.0.8', valid: false, now: 6 }]), budget);
    expect(verdicts.map((v) => v.answer)).toEqual(['refuse', 'refuse', 'refuse', 'limited', 'limited', 'refuse']);
    expect(logs).toEqual([{ now: 4, log: 'address-limit' }]);
  });

  it('an IPv6 host cannot dodge its budget by changing address within its /64', () => {
    const budget = { ...defaultFailureBudget, perAddress: 2 };
    const addresses = ['2001:db8:1:2::1', '2001:db8:1:2:aaaa::2', '2001:0db8:0001:0002:ffff:ffff:ffff:ffff'];
    expect(run(addresses.map((address, i) => ({ address, valid: false, now: i }))).verdicts.map((v) => v.answer)).toEqual(['refuse', 'refuse', 'refuse']);
    expect(run(addresses.map((address, i) => ({ address, valid: false, now: i })), budget).verdicts.map((v) => v.answer)).toEqual(['refuse', 'refuse', 'limited']);
  });

  it('tracks at most maxAddresses per window; the rest count only globally', () => {
    const budget = { ...defaultFailureBudget, maxAddresses: 4, perAddress: 1, global: 1000 };
    const reqs = Array.from({ length: 20 }, (_, i) => ({ address: `10.1.0.${i}`, valid: false, now: i }));
    const { state, verdicts } = run([...reqs, ...reqs.map((r) => ({ ...r, now: r.now + 20 }))], budget);
    expect(state.perAddress.size).toBe(4);
    expect(verdicts.filter((v) => v.answer === 'limited')).toHaveLength(4); // the tracked four, on their second failure
  });
});

describe('addressKey', () => {
  it.each([
    ['192.168.1.5', '192.168.1.5'],
    ['::ffff:192.168.1.5', '192.168.1.5'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:DB8:0:0:1::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4::/64'],
    ['not an address :: at :: all', '?'],
    [undefined, '?'],
  ])('%s → %s', (address, key) => {
    expect(addressKey(address)).toBe(key);
  });
});
