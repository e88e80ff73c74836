import type { RetentionConfig } from '../config/schema.ts';
import type { MessageStatus } from '../store/store.ts';

/**
 * The statuses a retention pass may delete, each by its own age (`days` for received rows,
 * `rejectedDays` for rejected ones). This list is the ONE place that says so.
 *
 * Today 'received' is final: nothing processes a stored message yet, so an old received row is
 * deletable by age. ONCE PROCESSING EXISTS (a later issue), 'received' means "not processed yet"
 * and MUST BE REMOVED from this list (processed rows take its place): the service never deletes
 * a message it has not processed. policy.test.ts pins the list so that change is deliberate.
 */
export const deletableStatuses: readonly MessageStatus[] = ['received', 'rejected'];

const DAY_MS = 24 * 60 * 60 * 1000;

/** Rows received before these instants may be deleted; null keeps them. */
export type ExpiryCutoffs = { acceptedBefore: Date | null; rejectedBefore: Date | null };

/** `days` absent keeps accepted rows forever; `rejectedDays` defaults to `days`. */
export function expiryCutoffs(config: RetentionConfig, now: Date): ExpiryCutoffs {
  return {
    acceptedBefore: cutoff(config.days, 'received', now),
    rejectedBefore: cutoff(config.rejectedDays ?? config.days, 'rejected', now),
  };
}

/** Whether any row can ever expire under this configuration (else the job is not started). */
export function isRetentionEnabled(config: RetentionConfig): boolean {
  const cutoffs = expiryCutoffs(config, new Date(0));
  return cutoffs.acceptedBefore !== null || cutoffs.rejectedBefore !== null;
}

function cutoff(days: number | undefined, status: MessageStatus, now: Date): Date | null {
  if (days === undefined || !deletableStatuses.includes(status)) return null;
  return new Date(now.getTime() - days * DAY_MS);
}
