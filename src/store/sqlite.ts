import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DbConfig } from '../config/schema.ts';
import {
  countMessagesSql,
  countRowSchema,
  existingRowSchema,
  insertParams,
  insertSql,
  rowToMessage,
  selectExistingSql,
  selectMessagesSql,
} from './message-sql.ts';
import { sqliteSchema } from './sqlite-schema.ts';
import { StoreUnavailableError, type InsertResult, type NewMessage, type Store } from './store.ts';

// The embedded default engine. better-sqlite3 is synchronous: each call commits before it returns, and
// the promise wrapping only gives it the shared `Store` shape.

/** Codes that mean "cannot store now" (locked, disk full, I/O), not "this row is wrong". */
const unavailableCodes = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|PROTOCOL)/;

function codeOf(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : '';
}

function classify(err: unknown, file: string): unknown {
  const code = codeOf(err);
  if (unavailableCodes.test(code)) return new StoreUnavailableError(`SQLite database ${file} unavailable: ${code}`, { cause: err });
  // better-sqlite3 throws a TypeError once the database is closed.
  if (err instanceof TypeError && /not open/.test(err.message)) {
    return new StoreUnavailableError(`SQLite database ${file} is closed`, { cause: err });
  }
  return err;
}

/** Opens (creating the directory and the schema) with the durability settings; exported for tests. */
export function openSqliteDatabase(config: DbConfig): Database.Database {
  const inMemory = config.file === ':memory:';
  try {
    if (!inMemory) mkdirSync(dirname(config.file), { recursive: true });
    const db = new Database(config.file, { timeout: config.queryTimeoutMs });
    // WAL with synchronous=FULL: a commit is on disk before it returns, across kill -9 and power loss.
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(sqliteSchema);
    return db;
  } catch (err) {
    const code = codeOf(err);
    const text = err instanceof Error ? err.message : String(err);
    const cause = text.includes(code) ? text : `${code}: ${text}`;
    throw new StoreUnavailableError(`cannot open SQLite database ${config.file}: ${cause}`, { cause: err });
  }
}

export function createSqliteStore(config: DbConfig): Store {
  const db = openSqliteDatabase(config);
  const insert = db.prepare(insertSql);
  const selectExisting = db.prepare(selectExistingSql);
  const toIso = (date: Date): string => date.toISOString();

  function guarded<T>(work: () => T): Promise<T> {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(classify(err, config.file));
    }
  }

  function insertMessage(row: NewMessage): InsertResult {
    try {
      const result = insert.run(...insertParams(row, toIso));
      return { inserted: true, id: Number(result.lastInsertRowid) };
    } catch (err) {
      if (codeOf(err) !== 'SQLITE_CONSTRAINT_UNIQUE' || row.dedupKey === null) throw err;
      return { inserted: false, existing: existingRowSchema.parse(selectExisting.get(row.dedupKey)) };
    }
  }

  return {
    ping: () => guarded(() => void db.prepare('SELECT 1').get()),
    insertMessage: (row) => guarded(() => insertMessage(row)),
    listMessages: (filter = {}) =>
      guarded(() => {
        const { sql, params } = selectMessagesSql(filter);
        return db.prepare(sql).all(...params).map(rowToMessage);
      }),
    countMessages: (filter = {}) =>
      guarded(() => {
        const { sql, params } = countMessagesSql(filter);
        return countRowSchema.parse(db.prepare(sql).get(...params));
      }),
    close: () => guarded(() => void (db.open && db.close())),
  };
}
