import { describe, expect, it } from 'vitest';
import type { ProcessingStats } from './control.ts';
import { cacheStats } from './stats-cache.ts';

const stats = (received: number): ProcessingStats => ({
  counts: { received, processing: 0, processed: 0, failed: 0, skipped: 0 },
  oldestWaiting: null,
  blocked: { count: 0, lanes: [] },
});

describe('cacheStats', () => {
  it('reads once for callers within the time to live, and again after it', async () => {
    let now = 0;
    let reads = 0;
    const cached = cacheStats(async () => stats(++reads), 1_000, () => new Date(now));
    const [a, b] = await Promise.all([cached(), cached()]);
    expect([a.counts.received, b.counts.received, reads]).toEqual([1, 1, 1]);
    now = 999;
    expect((await cached()).counts.received).toBe(1);
    now = 1_000;
    expect((await cached()).counts.received).toBe(2);
  });

  it('caches no failure: the next call reads again', async () => {
    let fail = true;
    const cached = cacheStats(async () => {
      if (fail) throw new Error('down');
      return stats(7);
    }, 1_000, () => new Date(0));
    await expect(cached()).rejects.toThrow('down');
    fail = false;
    expect((await cached()).counts.received).toBe(7);
  });
});
