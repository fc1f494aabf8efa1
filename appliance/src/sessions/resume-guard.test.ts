import { describe, expect, it } from 'vitest';
import { HEALTHY_WITHIN_MS, resumeVerdict } from './resume-guard.js';

describe('resumeVerdict: a resume replaces only a connection the box no longer hears', () => {
  it.each([
    ['never heard (still connecting, or no connection)', null, 10_000, { ok: true }],
    ['heard just now', 10_000, 10_000, { ok: false, retryAfterMs: HEALTHY_WITHIN_MS }],
    ['heard 1 s ago', 9_000, 10_000, { ok: false, retryAfterMs: HEALTHY_WITHIN_MS - 1_000 }],
    ['heard just under the window ago', 10_000 - HEALTHY_WITHIN_MS + 1, 10_000, { ok: false, retryAfterMs: 1 }],
    ['quiet for exactly the window', 10_000 - HEALTHY_WITHIN_MS, 10_000, { ok: true }],
    ['quiet for a minute', 0, 60_000, { ok: true }],
  ])('%s', (_name, lastHeardAt, now, verdict) => {
    expect(resumeVerdict(lastHeardAt, now)).toEqual(verdict);
  });
});
