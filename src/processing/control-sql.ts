import { whereClause, type Sql } from '../store/message-query.ts';
import type { DateEncoder } from '../store/message-sql.ts';
import { processingState, type MessageFilter, type ProcessingState } from '../store/store.ts';

// The SQL of the operator's view and controls (control.ts), for both engines. The state lives in
// hl7_message alone: these are plain reads and plain UPDATEs; the engine picks up an event set back
// to `received` in its lane's id order, with no other bookkeeping.

const finalStates = "('processed', 'failed', 'skipped')";

/** Back to the start: the engine takes it as a new event of its lane. */
const resetColumns =
  "processing_state = 'received', processing_attempts = 0, processing_error = NULL, next_attempt_at = NULL, processed_at = NULL";

/** Events in each of `states` (an index range per state on (processing_state, id)). */
export function countByStateSql(states: readonly ProcessingState[]): string {
  const list = states.map((state) => `'${processingState.parse(state)}'`).join(', ');
  return `SELECT processing_state AS state, COUNT(*) AS n FROM hl7_message WHERE processing_state IN (${list}) GROUP BY processing_state`;
}

/**
 * The first waiting event of each waiting state, by id (the receive order): one index probe each on
 * (processing_state, id), never a sort of the whole backlog. The caller takes the smaller id.
 */
export function oldestWaitingSql(engine: 'mariadb' | 'sqlite'): string {
  // Without the hint MariaDB walks the primary key past every processed row (claim-steps.ts, byState).
  const byState = engine === 'mariadb' ? ' FORCE INDEX (ix_hl7_message_processing_state_id)' : ' INDEXED BY ix_hl7_message_processing_state_id';
  const head = (state: string, alias: string): string =>
    `SELECT id, received_at FROM (SELECT id, received_at FROM hl7_message${byState} WHERE processing_state = '${state}' ORDER BY id LIMIT 1) AS ${alias}`;
  return `${head('received', 'r')} UNION ALL ${head('processing', 'p')}`;
}

/** Lanes holding a failed event (blocked while onFailure is block). */
export const blockedLaneCountSql =
  "SELECT COUNT(DISTINCT ordering_key) AS n FROM hl7_message WHERE processing_state = 'failed' AND ordering_key IS NOT NULL";

/**
 * The blocked lanes, oldest block first: the lane's first failed event and how many events wait behind
 * it. Only the first `limit` lanes are counted, each by two range reads of the lane index
 * (processing_state, ordering_key, id): a join would compare every blocked lane with every waiting
 * event. `limit` is ours, inlined.
 */
export function blockedLanesSql(limit: number): string {
  const behind = (state: string) =>
    `(SELECT COUNT(*) FROM hl7_message AS w WHERE w.processing_state = '${state}' AND w.ordering_key = b.ordering_key AND w.id > b.failed_id)`;
  return (
    `SELECT b.ordering_key AS ordering_key, b.failed_id AS failed_id, ${behind('received')} + ${behind('processing')} AS waiting FROM` +
    " (SELECT ordering_key, MIN(id) AS failed_id FROM hl7_message WHERE processing_state = 'failed' AND ordering_key IS NOT NULL" +
    ` GROUP BY ordering_key ORDER BY failed_id LIMIT ${Math.max(1, Math.trunc(limit))}) AS b ORDER BY b.failed_id`
  );
}

/**
 * One event back to `received`: a final one, or an accepted row that was never processed (stored
 * before processing existed). Refused rows and events still waiting or in work are left alone.
 */
export const reprocessSql =
  `UPDATE hl7_message SET ${resetColumns} WHERE id = ? AND status = 'received'` +
  ` AND (processing_state IN ${finalStates} OR processing_state IS NULL)`;

export const stateOfSql = 'SELECT status, processing_state FROM hl7_message WHERE id = ?';

/** Which events a retry takes: failed ones (the default), or accepted rows never processed (`null`). */
export type RetryFilter = Omit<MessageFilter, 'after' | 'limit' | 'processingState' | 'status'> & { processingState?: 'failed' | null };

/**
 * The ids of the next `limit` matching events after `afterId`, lowest first (a lane's order). A retry
 * walks them in chunks (retryUpdateSql): short transactions, and it ends even if the engine fails an
 * event again while the walk is still going.
 */
export function retrySelectSql(filter: RetryFilter, afterId: number, limit: number, encodeDate: DateEncoder): Sql {
  const where = whereClause({ ...filter, processingState: retryState(filter), status: 'received' }, encodeDate);
  const next = where.sql === '' ? ' WHERE' : `${where.sql} AND`;
  return {
    sql: `SELECT id FROM hl7_message${next} id > ${Math.trunc(afterId)} ORDER BY id LIMIT ${Math.max(1, Math.trunc(limit))}`,
    params: where.params,
  };
}

/** Those ids back to `received` if they are still in the state the walk selected them in. */
export function retryUpdateSql(filter: RetryFilter, ids: readonly number[]): string {
  const state = retryState(filter) === null ? 'processing_state IS NULL' : "processing_state = 'failed'";
  const list = ids.map((id) => String(Math.trunc(id))).join(', ');
  return `UPDATE hl7_message SET ${resetColumns} WHERE id IN (${list}) AND ${state}`;
}

function retryState(filter: RetryFilter): 'failed' | null {
  return filter.processingState === null ? null : 'failed';
}
