// The processing stats are a few index reads, but scrapes, readiness probes and API calls can come
// from many places at once: they share one read at a time and its answer for `ttlMs`, so a busy
// scraper cannot hammer the database.

export function cacheStats<T>(read: (now: Date) => Promise<T>, ttlMs: number, clock: () => Date = () => new Date()): () => Promise<T> {
  let last: { at: number; stats: T } | null = null;
  let pending: Promise<T> | null = null;
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
