import type { ProcessingStats } from './control.ts';

// The processing stats are a few index reads, but scrapes, readiness probes and API calls can come
// from many places at once: they share one read at a time and its answer for `ttlMs`, so a busy
// scraper cannot hammer the database.

export type StatsReader = () => Promise<ProcessingStats>;

export function cacheStats(read: (now: Date) => Promise<ProcessingStats>, ttlMs: number, clock: () => Date = () => new Date()): StatsReader {
  let last: { at: number; stats: ProcessingStats } | null = null;
  let pending: Promise<ProcessingStats> | null = null;
  return () => {
    const now = clock();
    if (last !== null && now.getTime() - last.at < ttlMs) return Promise.resolve(last.stats);
    pending ??= read(now)
      .then((stats) => {
        last = { at: now.getTime(), stats };
        return stats;
      })
      .finally(() => {
        pending = null;
      });
    return pending;
  };
}
