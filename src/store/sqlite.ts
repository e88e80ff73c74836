import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DbConfig } from '../config/schema.ts';
import { createGroupCommitter } from './group-commit.ts';
import { countMessagesSql, deleteByIdsSql, expiredIds, selectExpiredSql, selectMessagesSql } from './message-query.ts';
import { countRowSchema, rowToMessage, rowToSummary, selectByIdSql } from './message-sql.ts';
import { defaultMigrationsDir, MigrationError } from './migrations.ts';
import { createSqliteCommit } from './sqlite-commit.ts';
import { migrateSqlite } from './sqlite-migrate.ts';
import { silentStoreLog, StoreUnavailableError, type ExpiryPolicy, type Store, type StoreOptions } from './store.ts';

// The embedded default engine. better-sqlite3 is synchronous, so writes are gathered: the rows handed
// in during one event-loop turn commit together on setImmediate (sqlite-commit.ts), one fsync for all.

/** Codes that mean "cannot store now" (locked, disk full, I/O), not "this row is wrong". */
const unavailableCodes = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;

function codeOf(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : '';
}

/** better-sqlite3 throws a TypeError once the database is closed. */
const isClosedError = (err: unknown): boolean => err instanceof TypeError && /not open/.test(err.message);

const isUnavailable = (err: unknown): boolean => unavailableCodes.test(codeOf(err)) || isClosedError(err);

function classify(err: unknown, file: string): unknown {
  const code = codeOf(err);
  if (unavailableCodes.test(code)) return new StoreUnavailableError(`SQLite database ${file} unavailable: ${code}`, { cause: err });
  if (isClosedError(err)) return new StoreUnavailableError(`SQLite database ${file} is closed`, { cause: err });
  return err;
}

/**
 * Opens the file with the durability settings and applies pending migrations (creating the
 * directory first); or, with `readOnly`, opens an existing file for reading and changes nothing.
 * Exported for tests.
 */
export function openSqliteDatabase(config: DbConfig, options: StoreOptions = {}): Database.Database {
  const inMemory = config.file === ':memory:';
  const readOnly = options.readOnly === true && !inMemory;
  try {
    if (readOnly) return new Database(config.file, { readonly: true, fileMustExist: true, timeout: config.queryTimeoutMs });
    if (!inMemory) mkdirSync(dirname(config.file), { recursive: true });
    const db = new Database(config.file, { timeout: config.queryTimeoutMs });
    // WAL with synchronous=FULL: a commit is on disk before it returns, across kill -9 and power loss.
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    if (options.applySchema !== false) {
      const where = `SQLite database ${config.file}`;
      migrateSqlite(db, where, { migrationsDir: options.migrationsDir ?? defaultMigrationsDir, log: options.log ?? silentStoreLog });
    }
    return db;
  } catch (err) {
    if (err instanceof MigrationError) throw err;
    const code = codeOf(err);
    const text = err instanceof Error ? err.message : String(err);
    const cause = text.includes(code) ? text : `${code}: ${text}`;
    throw new StoreUnavailableError(`cannot open SQLite database ${config.file}: ${cause}`, { cause: err });
  }
}

/** Rows per transaction: bounds how long one commit holds the event loop. */
const groupMaxRows = 1000;
const groupMaxBytes = 64 * 1024 * 1024;

export function createSqliteStore(config: DbConfig, options: StoreOptions = {}): Store {
  const db = openSqliteDatabase(config, options);
  // Prepared on first use, like the commit's statements (sqlite-commit.ts).
  let selectById: Database.Statement | undefined;
  const toIso = (date: Date): string => date.toISOString();
  const committer = createGroupCommitter({
    commit: createSqliteCommit({ db, isUnavailable, classify: (err) => classify(err, config.file) }),
    schedule: setImmediate,
    maxRows: groupMaxRows,
    maxBytes: groupMaxBytes,
    bytesOf: (row) => row.raw.length,
  });

  function guarded<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(classify(err, config.file));
    }
  }

  // A plain read, then a delete of those ids, in one short write transaction.
  const deleteExpired = db.transaction((policy: ExpiryPolicy): number => {
    const select = selectExpiredSql(policy, toIso);
    if (select === null) return 0;
    const ids = expiredIds(db.prepare(select.sql).all(...select.params));
    return ids.length === 0 ? 0 : db.prepare(deleteByIdsSql(ids)).run().changes;
  });

  let closing: Promise<void> | undefined;
  return {
    ping: () => guarded(() => void db.prepare('SELECT 1').get()),
    insertMessage: async (row) => {
      const [result] = await committer.submit([row]);
      if (result === undefined) throw new Error('no result for the row');
      return result;
    },
    commitBusyShare: () => committer.busyShare(),
    insertMessages: (rows) => committer.submit(rows),
    getMessage: (id) =>
      guarded(() => {
        const row: unknown = (selectById ??= db.prepare(selectByIdSql)).get(id);
        return row === undefined ? null : rowToMessage(row);
      }),
    deleteExpired: (policy) => guarded(() => deleteExpired.immediate(policy)),
    listMessages: (filter = {}) =>
      guarded(() => {
        const { sql, params } = selectMessagesSql(filter, toIso);
        return db.prepare(sql).all(...params).map(rowToSummary);
      }),
    countMessages: (filter = {}) =>
      guarded(() => {
        const { sql, params } = countMessagesSql(filter, toIso);
        return countRowSchema.parse(db.prepare(sql).get(...params));
      }),
    // Rows already handed in commit before the file closes.
    close: () => (closing ??= committer.close().then(() => guarded(() => void (db.open && db.close())))),
    handle: { engine: 'sqlite', config, db },
  };
}
