import type Database from 'better-sqlite3';
import type { Outcome, PendingEntry } from './group-commit.ts';
import { existingRowSchema, insertParams, insertSql, selectExistingSql } from './message-sql.ts';
import type { InsertResult, NewMessage } from './store.ts';

// One group commit on SQLite: every entry of the group in one IMMEDIATE transaction, so the rows of
// one event-loop turn share one fsync (WAL, synchronous=FULL). A batch runs in a savepoint of its own:
// an error in one of its rows undoes that batch only, and the other entries still commit. An error
// that means "cannot write now" (busy, I/O, disk full) fails the whole group.

export type SqliteCommitDeps = {
  db: Database.Database;
  /** True for errors that must fail the whole group (SQLite may have rolled it back already). */
  isUnavailable(err: unknown): boolean;
  /** The error a caller sees. */
  classify(err: unknown): unknown;
};

function codeOf(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : '';
}

export function createSqliteCommit(deps: SqliteCommitDeps): (entries: readonly PendingEntry[]) => Promise<Outcome[]> {
  const { db } = deps;
  // Prepared on first use: a store opened read-only on a file whose migrations are pending (the
  // health check) has no column for them yet, and never writes.
  let insert: Database.Statement | undefined;
  let selectExisting: Database.Statement | undefined;
  const toIso = (date: Date): string => date.toISOString();

  // A duplicate key fails only its own statement: SQLite undoes that statement, not the transaction,
  // and the row holding the key (committed, or earlier in this group) is returned instead.
  function insertOne(row: NewMessage): InsertResult {
    try {
      const result = (insert ??= db.prepare(insertSql)).run(...insertParams(row, toIso));
      return { inserted: true, id: Number(result.lastInsertRowid) };
    } catch (err) {
      if (codeOf(err) !== 'SQLITE_CONSTRAINT_UNIQUE' || row.dedupKey === null) throw err;
      return { inserted: false, existing: existingRowSchema.parse((selectExisting ??= db.prepare(selectExistingSql)).get(row.dedupKey)) };
    }
  }

  // Called inside the group's transaction, better-sqlite3 makes this a SAVEPOINT.
  const insertBatch = db.transaction((rows: readonly NewMessage[]) => rows.map(insertOne));

  function insertEntry(entry: PendingEntry): Outcome {
    try {
      const first = entry.rows[0];
      const results = entry.rows.length === 1 && first !== undefined ? [insertOne(first)] : insertBatch(entry.rows);
      return { ok: true, results };
    } catch (err) {
      if (deps.isUnavailable(err)) throw err;
      return { ok: false, error: deps.classify(err) };
    }
  }

  const commitGroup = db.transaction((entries: readonly PendingEntry[]) => entries.map(insertEntry));

  return async (entries) => {
    try {
      return commitGroup.immediate(entries);
    } catch (err) {
      const error = deps.classify(err);
      return entries.map(() => ({ ok: false, error }));
    }
  };
}
