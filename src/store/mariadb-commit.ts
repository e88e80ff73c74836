import type { RowDataPacket } from 'mysql2/promise';
import type { PendingEntry, Outcome } from './group-commit.ts';
import { dedupKeys, planInserts, resolvePlan, splitResults } from './insert-plan.ts';
import { errorCode, isUnavailableError, sanitized } from './mariadb-errors.ts';
import { insertRows, type InsertTraits } from './mariadb-insert.ts';
import type { MariaDbPool } from './mariadb-pool.ts';
import { existingRowSchema } from './message-sql.ts';
import { StoreUnavailableError, type ExistingMessage, type NewMessage } from './store.ts';

// One group commit on MariaDB. The fast path is one multi-row INSERT in autocommit. The group's own
// duplicates are settled before it runs (insert-plan.ts); a duplicate of a row already in the table
// (a resend, or another process racing us) fails the statement as a whole with ER_DUP_ENTRY, and
// nothing is written: we then read the keys the table holds and insert the rest again. Deadlocks
// and lock wait timeouts (several writers) are retried too. An error of one entry's rows is isolated
// by splitting the group in halves, so the other entries still commit.

/** Attempts per group: more than one dedup race or deadlock in a row is already very unlikely. */
const maxAttempts = 4;
const keysPerSelect = 1000;

export type CommitDeps = { pool: MariaDbPool; traits: InsertTraits; timeout: number };

/** The driver error under our StoreUnavailableError wrapper. */
function rootCause(err: unknown): unknown {
  return err instanceof StoreUnavailableError && err.cause !== undefined ? err.cause : err;
}

function isLockConflict(err: unknown): boolean {
  const code = errorCode(rootCause(err));
  return code === 'ER_LOCK_DEADLOCK' || code === 'ER_LOCK_WAIT_TIMEOUT';
}

function unavailable(err: unknown): StoreUnavailableError {
  if (err instanceof StoreUnavailableError) return err;
  return new StoreUnavailableError(`MariaDB unavailable: ${errorCode(err) || 'unknown error'}`, { cause: err });
}

async function selectExisting(deps: CommitDeps, rows: readonly NewMessage[]): Promise<Map<string, ExistingMessage>> {
  const keys = dedupKeys(rows);
  const known = new Map<string, ExistingMessage>();
  for (let at = 0; at < keys.length; at += keysPerSelect) {
    const chunk = keys.slice(at, at + keysPerSelect);
    // Text protocol: the number of keys varies, and each distinct count would be a prepared statement.
    const sql = `SELECT dedup_key, id, content_hash, ack_code FROM hl7_message WHERE dedup_key IN (${chunk.map(() => '?').join(', ')})`;
    const [found] = await deps.pool.withConnection((conn) =>
      conn.query<RowDataPacket[]>({ sql, timeout: deps.timeout, values: chunk }),
    );
    for (const row of found) known.set(String(row.dedup_key), existingRowSchema.parse(row));
  }
  return known;
}

export function createMariaDbCommit(deps: CommitDeps): (entries: readonly PendingEntry[]) => Promise<Outcome[]> {
  const failAll = (entries: readonly PendingEntry[], error: unknown): Outcome[] => entries.map(() => ({ ok: false, error }));

  async function commitGroup(entries: readonly PendingEntry[]): Promise<Outcome[]> {
    const rows = entries.flatMap((entry) => entry.rows);
    let known = new Map<string, ExistingMessage>();
    for (let attempt = 1; ; attempt += 1) {
      const plan = planInserts(rows, known);
      try {
        const ids = await insertRows(deps.pool, plan.rows, deps.traits, deps.timeout);
        const results = splitResults(
          entries.map((entry) => entry.rows.length),
          resolvePlan(plan, ids),
        );
        return results.map((part) => ({ ok: true, results: part }));
      } catch (err) {
        const again = attempt < maxAttempts;
        if (errorCode(err) === 'ER_DUP_ENTRY') {
          if (!again) return failAll(entries, new StoreUnavailableError('dedup keys kept conflicting with other writers'));
          try {
            known = await selectExisting(deps, rows);
          } catch (selectErr) {
            return failAll(entries, isUnavailableError(rootCause(selectErr)) ? unavailable(selectErr) : sanitized(selectErr));
          }
          continue;
        }
        if (isLockConflict(err) && again) continue;
        if (err instanceof StoreUnavailableError || isUnavailableError(err)) return failAll(entries, unavailable(err));
        if (entries.length > 1) return bisect(entries);
        return [{ ok: false, error: sanitized(err) }];
      }
    }
  }

  /** Halves commit one after the other, so a bad entry fails alone in about log2(n) extra commits. */
  async function bisect(entries: readonly PendingEntry[]): Promise<Outcome[]> {
    const middle = Math.ceil(entries.length / 2);
    const first = await commitGroup(entries.slice(0, middle));
    const second = await commitGroup(entries.slice(middle));
    return [...first, ...second];
  }

  return commitGroup;
}
