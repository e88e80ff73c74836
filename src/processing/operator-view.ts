import type { ProcessingConfig } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { createProcessingControl, type ProcessingControl, type ProcessingStats } from './control.ts';
import { cacheStats } from './stats-cache.ts';

// What operators see of processing and act on, built once per app from the store's handle: the
// controls behind the API, and the backlog stats that metrics and /health/ready read (cached).

export type OperatorView = {
  /** null on a store without a handle (test doubles). */
  control: ProcessingControl | null;
  /** The backlog (received, processing, failed; blocked lanes; oldest waiting), cached for `statsTtlMs`; null without a control. */
  stats: (() => Promise<ProcessingStats>) | null;
  /** Seconds the oldest waiting event has waited (null: none waits), cached likewise: for /health/ready. */
  oldestWaitingSeconds: (() => Promise<number | null>) | null;
};

/** Scrapes and probes within this share one read of the backlog. */
export const statsTtlMs = 2_000;

export function createOperatorView(config: ProcessingConfig, store: Store, clock: () => Date = () => new Date()): OperatorView {
  if (store.handle === undefined) return { control: null, stats: null, oldestWaitingSeconds: null };
  // A failed event holds back its lane only in an ordered mode with onFailure block.
  const blocking = config.ordering !== 'parallel' && config.onFailure === 'block';
  const control = createProcessingControl(store.handle, { blocking });
  return {
    control,
    stats: cacheStats((now) => control.stats(now, 'backlog'), statsTtlMs, clock),
    oldestWaitingSeconds: cacheStats(async (now) => (await control.oldestWaiting(now))?.ageSeconds ?? null, statsTtlMs, clock),
  };
}
