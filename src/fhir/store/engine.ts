import type Database from 'better-sqlite3';
import type { PoolConnection } from 'mysql2/promise';
import type { StoreHandle } from '../../store/store.ts';

// The FHIR store's view of the service's database (Store.handle): plain reads, and transactions
// written as generators of SQL steps (apply.ts) that each engine drives its own way.

export type Row = Record<string, unknown>;
/**
 * One statement with `?` placeholders; `lock`: a read of rows the transaction will change; `bulk`: a
 * multi-row statement of a shape seldom repeated (not worth a server-side prepared statement).
 */
export type Step = { sql: string; params: unknown[]; lock?: boolean; bulk?: boolean };
export type Steps<T> = Generator<Step, T, Row[]>;

export type FhirEngine = {
  all(sql: string, params: readonly unknown[]): Promise<Row[]>;
  /** Runs the steps in one transaction; a MariaDB deadlock or a lost insert race runs them again. */
  transaction<T>(steps: () => Steps<T>): Promise<T>;
};

export function createFhirEngine(handle: StoreHandle): FhirEngine {
  return handle.engine === 'sqlite' ? sqliteEngine(handle.db) : mariaDbEngine(handle.pool);
}

function sqliteEngine(db: Database.Database): FhirEngine {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (stmt === undefined) {
      stmt = db.prepare(sql);
      if (statements.size > 500) statements.clear();
      statements.set(sql, stmt);
    }
    return stmt;
  };
  const run = (step: Step): Row[] => {
    const stmt = prepared(step.sql);
    if (stmt.reader) return stmt.all(...step.params) as Row[];
    stmt.run(...step.params);
    return [];
  };
  return {
    all: async (sql, params) => run({ sql, params: [...params] }),
    // Synchronous from BEGIN to COMMIT: no other work on the handle can slip in between.
    transaction: async <T>(steps: () => Steps<T>) =>
      db
        .transaction((): T => {
          const gen = steps();
          let next = gen.next([]);
          while (!next.done) next = gen.next(run(next.value));
          return next.value;
        })
        .immediate(),
  };
}

type Pool = Extract<StoreHandle, { engine: 'mariadb' }>['pool'];

/** ER_DUP_ENTRY (two first writes of one resource), ER_LOCK_DEADLOCK: the transaction may simply run again. */
const retriedErrnos = new Set([1062, 1213]);
const maxAttempts = 5;

function mariaDbEngine(pool: Pool): FhirEngine {
  const exec = async (conn: PoolConnection, step: Step): Promise<Row[]> => {
    const sql = step.lock === true ? `${step.sql} FOR UPDATE` : step.sql;
    const [rows] = step.bulk === true ? await conn.query(sql, step.params) : await conn.execute(sql, step.params as never[]);
    return Array.isArray(rows) ? (rows as Row[]) : [];
  };
  const once = <T>(steps: () => Steps<T>): Promise<T> =>
    pool.withConnection(async (conn) => {
      await conn.beginTransaction();
      try {
        const gen = steps();
        let next = gen.next([]);
        while (!next.done) next = gen.next(await exec(conn, next.value));
        await conn.commit();
        return next.value;
      } catch (err) {
        await conn.rollback().catch(() => undefined);
        throw err;
      }
    });
  return {
    all: (sql, params) => pool.withConnection((conn) => exec(conn, { sql, params: [...params] })),
    async transaction<T>(steps: () => Steps<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await once(steps);
        } catch (err) {
          const errno = (err as { errno?: unknown }).errno;
          if (attempt >= maxAttempts || typeof errno !== 'number' || !retriedErrnos.has(errno)) throw err;
        }
      }
    },
  };
}
