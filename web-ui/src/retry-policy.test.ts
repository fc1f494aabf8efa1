import { describe, expect, it } from 'vitest';
import { backoffDelayMs, retryAfterMs } from './retry-policy.js';

describe('backoffDelayMs', () => {
  it.each([
    [0, 0.5, 500],
    [1, 0.5, 1000],
    [4, 0.5, 8000],
    [5, 0.5, 10_000],
    [30, 0.5, 10_000],
    [0, 0, 400],
    [5, 0.999, 11_996],
  ])('attempt %i, random %f → %i ms', (attempt, random, ms) => {
    expect(backoffDelayMs(attempt, random)).toBe(ms);
  });
});

describe('retryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['absent', null, null],
    ['seconds', '3', 3000],
    ['clamped to 30 s', '3600', 30_000],
    ['HTTP-date 5 s ahead', 'Wed, 01 Jan 2025 00:00:05 GMT', 5000],
    ['HTTP-date in the past', 'Tue, 31 Dec 2024 23:59:00 GMT', 0],
    ['garbage', 'soon', null],
  ])('%s', (_name, header, ms) => {
    expect(retryAfterMs(header, now)).toBe(ms);
  });
});
