import { z } from 'zod';
import { columnOf, summaryColumnList, type DateEncoder, type SqlValue } from './message-sql.ts';
import type { ExpiryPolicy, MessageFilter, MessageStatus } from './store.ts';

// The read and retention SQL both engines share. Dates go through the engine's encoder: MariaDB
// compares DATETIME(3) (UTC) with a Date parameter, SQLite compares ISO 8601 text of one fixed width,
// which sorts in time order. Integers we computed (limits, ids read back) are inlined, values never.

export type Sql = { sql: string; params: SqlValue[] };

/** How many rows `listMessages` returns when no limit is given; the HTTP API sets its own maximum. */
export const defaultListLimit = 500;

const equalityFields = [
  'controlId',
  'sendingApplication',
  'sendingFacility',
  'messageType',
  'triggerEvent',
  'patientId',
  'status',
  'transport',
] as const satisfies readonly (keyof MessageFilter & keyof typeof columnOf)[];

/** The WHERE clause of a filter (with its leading space), or '' for none; also used by processing control. */
export function whereClause(filter: MessageFilter, encodeDate: DateEncoder): Sql {
  const conditions: string[] = [];
  const params: SqlValue[] = [];
  for (const field of equalityFields) {
    const value = filter[field];
    if (value === undefined) continue;
    conditions.push(`${columnOf[field]} = ?`);
    params.push(value);
  }
  if (filter.processingState === null) conditions.push('processing_state IS NULL');
  else if (filter.processingState !== undefined) {
    conditions.push('processing_state = ?');
    params.push(filter.processingState);
  }
  if (filter.from !== undefined) {
    conditions.push('received_at >= ?');
    params.push(encodeDate(filter.from));
  }
  if (filter.to !== undefined) {
    conditions.push('received_at < ?');
    params.push(encodeDate(filter.to));
  }
  if (filter.after !== undefined) {
    // (received_at, id) < (t, id) spelled out (> when oldest first): the leading `received_at <= ?` is
    // an index range for both engines, where a row-value comparison is not (MariaDB).
    const at = encodeDate(filter.after.receivedAt);
    conditions.push(filter.oldestFirst === true ? 'received_at >= ? AND (received_at > ? OR id > ?)' : 'received_at <= ? AND (received_at < ? OR id < ?)');
    params.push(at, at, Math.trunc(filter.after.id));
  }
  return { sql: conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '', params };
}

function listLimit(limit: number | undefined): number {
  const requested = limit !== undefined && Number.isFinite(limit) ? Math.trunc(limit) : defaultListLimit;
  return Math.max(requested, 1);
}

/**
 * Newest first: received_at desc, then id desc (the keyset order of `after`); both ascending with
 * `oldestFirst`, the same index read the other way. No blob is selected,
 * only its size (message-sql.ts summaryColumnList): rowToSummary reads the rows.
 */
export function selectMessagesSql(filter: MessageFilter, encodeDate: DateEncoder): Sql {
  const where = whereClause(filter, encodeDate);
  const sql = `SELECT ${summaryColumnList} FROM hl7_message${where.sql} ORDER BY ${filter.oldestFirst === true ? 'received_at, id' : 'received_at DESC, id DESC'} LIMIT ${listLimit(filter.limit)}`;
  return { sql, params: where.params };
}

export function countMessagesSql(filter: MessageFilter, encodeDate: DateEncoder): Sql {
  const where = whereClause(filter, encodeDate);
  return { sql: `SELECT COUNT(*) AS n FROM hl7_message${where.sql}`, params: where.params };
}

/**
 * The ids of at most `limit` expired rows, oldest first. One bounded index range per status
 * (status, received_at): never a scan of the rows that are kept. A plain read, so it locks nothing;
 * the DELETE that follows locks only these rows.
 */
export function selectExpiredSql(policy: ExpiryPolicy, encodeDate: DateEncoder): Sql | null {
  const limit = Math.max(Math.trunc(policy.limit), 0);
  const cutoffs: [MessageStatus, Date | null][] = [
    ['received', policy.acceptedBefore],
    ['rejected', policy.rejectedBefore],
  ];
  const branches: string[] = [];
  const params: SqlValue[] = [];
  for (const [status, before] of cutoffs) {
    if (before === null) continue;
    branches.push(
      `SELECT id, received_at FROM (SELECT id, received_at FROM hl7_message WHERE status = ? AND received_at < ?${notWaiting}` +
        ` ORDER BY received_at, id LIMIT ${limit}) AS expired_${status}`,
    );
    params.push(status, encodeDate(before));
  }
  if (branches.length === 0 || limit === 0) return null;
  return { sql: `${branches.join(' UNION ALL ')} ORDER BY received_at, id LIMIT ${limit}`, params };
}

/** Retention never deletes an event still waiting to be processed (received) or in work (processing). */
const notWaiting = " AND (processing_state IS NULL OR processing_state NOT IN ('received', 'processing'))";

const idRowSchema = z.object({ id: z.coerce.number().int().positive() }).transform((row) => row.id);

export function expiredIds(rows: readonly unknown[]): number[] {
  return rows.map((row) => idRowSchema.parse(row));
}

/** ids are integers read back from the table (checked above), so they are inlined: no statement per count. */
export function deleteByIdsSql(ids: readonly number[]): string {
  return `DELETE FROM hl7_message WHERE id IN (${ids.map((id) => String(Math.trunc(id))).join(', ')})`;
}
