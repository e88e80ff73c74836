// How busy the store's group commit is: the share of wall time in which a commit was running, over
// the last window. The processing engine reads it to yield to ingest (src/processing/ingest-yield.ts):
// while commits run back to back, senders are queueing for the disk and processing's own writes
// lengthen their wait. Plain accounting, no timers: time is read when a commit starts or ends and
// when someone asks.

export type BusyMeter = {
  /** A commit started (several may run at once). */
  started(now?: number): void;
  /** A commit ended. */
  ended(now?: number): void;
  /**
   * 0..1: the share of time in which at least one commit ran, over each of the last two complete
   * windows: the lower of the two, so a burst shorter than a window does not count as busy.
   */
  share(now?: number): number;
};

export function createBusyMeter(windowMs = 250, clock: () => number = () => performance.now()): BusyMeter {
  let active = 0;
  let since = 0;
  let busy = 0;
  let windowStart = clock();
  let last = 0;
  let before = 0;

  function roll(now: number): void {
    const elapsed = now - windowStart;
    if (elapsed < windowMs) return;
    before = last;
    last = Math.min(1, (busy + (active > 0 ? now - since : 0)) / elapsed);
    windowStart = now;
    busy = 0;
    if (active > 0) since = now;
  }

  return {
    started(now = clock()) {
      roll(now);
      if (active++ === 0) since = now;
    },
    ended(now = clock()) {
      roll(now);
      if (active === 0) return;
      if (--active === 0) busy += now - since;
    },
    share(now = clock()) {
      roll(now);
      return Math.min(last, before);
    },
  };
}
