import type { ProcessingConfig } from '../config/schema.ts';

// Exponential backoff with jitter: attempt n waits initialDelay × 2^(n−1), capped at maxDelay, and
// then a random half of it ("equal jitter"): instances that failed together do not retry together.

export type RetryConfig = ProcessingConfig['retry'];

/** `attempts`: how many attempts have failed so far, this one included (≥ 1). `random` in [0, 1). */
export function retryDelayMs(retry: RetryConfig, attempts: number, random: number): number {
  const exponent = Math.min(Math.max(attempts - 1, 0), 30);
  const full = Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** exponent);
  return Math.round(full / 2 + (full / 2) * random);
}

/** True when no attempt is left after `attempts` failed ones. */
export function isExhausted(retry: RetryConfig, attempts: number): boolean {
  return attempts >= retry.maxAttempts;
}
