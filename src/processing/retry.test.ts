import { describe, expect, it } from 'vitest';
import { isExhausted, retryDelayMs } from './retry.ts';

const retry = { maxAttempts: 4, initialDelayMs: 1_000, maxDelayMs: 5_000 };

describe('retryDelayMs', () => {
  it.each([
    [1, 0, 500],
    [1, 0.999999, 1_000],
    [2, 0, 1_000],
    [3, 0.5, 3_000],
    [4, 0, 2_500],
    [40, 1, 5_000],
  ])('attempt %i, random %f → %i ms (doubling, capped, jittered over its upper half)', (attempts, random, ms) => {
    expect(retryDelayMs(retry, attempts, random)).toBe(ms);
  });

  it('exhausts at maxAttempts', () => {
    expect([3, 4, 5].map((n) => isExhausted(retry, n))).toEqual([false, true, true]);
  });
});
