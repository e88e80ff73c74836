import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import type Database from 'better-sqlite3';
import type { DbConfig } from '../config/schema.ts';
import { createMariaDbPool } from '../store/mariadb-pool.ts';
import type { StoreHandle } from '../store/store.ts';
import type { Dialect, Step, StepResult, Steps } from './claim-steps.ts';

// Runs the steps of claim-steps.ts / outcome-steps.ts on an engine: `read` without a transaction,
// `transact` in one (retried on MariaDB's deadlock / lock wait / snapshot conflicts, which only mean
// "try again").

export type StepRunner = {
  readonly dialect: Dialect;
  /** Lanes can be taken over by other instances (MariaDB); SQLite runs one instance. */
  readonly shared: boolean;
  read<T>(steps: () => Steps<T>): Promise<T>;
  transact<T>(steps: () => Steps<T>): Promise<T>;
  close(): Promise<void>;
};

const mariaDbDialect: Dialect = {
  now: () => 'UTC_TIMESTAMP(3)',
  later: (ms) => `(UTC_TIMESTAMP(3) + INTERVAL ${Math.max(0, Math.trunc(ms)) * 1000} MICROSECOND)`,
  forUpdate: ' FOR UPDATE',
  skipLocked: ' FOR UPDATE SKIP LOCKED',
  insertIgnore: 'INSERT IGNORE INTO',
  deleteLimit: (n) => ` LIMIT ${Math.trunc(n)}`,
  byState: ' FORCE INDEX (ix_hl7_message_processing_state_id)',
  byLane: ' FORCE INDEX (ix_hl7_message_processing_lane)',
  unionAll: (selects) => selects.map((select) => `(${select} FOR UPDATE)`).join(' UNION ALL '),
};

/** ISO 8601 text, as the SQLite store writes received_at: compares in time order as text. */
const sqliteTime = (ms: number): string => `'${new Date(Date.now() + ms).toISOString()}'`;

export const sqliteDialect: Dialect = {
  now: () => sqliteTime(0),
  later: (ms) => sqliteTime(Math.max(0, Math.trunc(ms))),
  forUpdate: '',
  skipLocked: '',
  insertIgnore: 'INSERT OR IGNORE INTO',
  deleteLimit: () => '',
  byState: ' INDEXED BY ix_hl7_message_processing_state_id',
  byLane: ' INDEXED BY ix_hl7_message_processing_lane',
  // SQLite takes ORDER BY and LIMIT only on a whole compound select, so each part is a subquery.
  unionAll: (selects) => selects.map((select) => `SELECT * FROM (${select})`).join(' UNION ALL '),
};

/** Deadlock (1213), lock wait timeout (1205), snapshot conflict (1020): the transaction may simply run again. */
const retryable = new Set([1213, 1205, 1020]);
const errnoOf = (err: unknown): number | undefined =>
  typeof err === 'object' && err !== null && 'errno' in err && typeof err.errno === 'number' ? err.errno : undefined;

async function runOn<T>(conn: PoolConnection, steps: Steps<T>): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    const step: Step = next.value;
    // query, not execute: IN lists vary in length, and prepared statements per shape would pile up.
    const [result] = await conn.query(step.sql, step.params);
    const answer: StepResult = Array.isArray(result)
      ? { rows: result as Record<string, unknown>[], affected: 0 }
      : { rows: [], affected: (result as ResultSetHeader).affectedRows };
    next = steps.next(answer);
  }
  return next.value;
}

/**
 * MariaDB: a pool of its own (concurrency + 2 connections) from the store's settings, so claims and
 * sinks' slow moments never take connections ingest is waiting for.
 */
export function createMariaDbRunner(config: DbConfig, connections: number): StepRunner {
  const pool = createMariaDbPool({ ...config, connectionLimit: connections });
  const budgetMs = 4 * (config.queryTimeoutMs + config.connectTimeoutMs);
  return {
    dialect: mariaDbDialect,
    shared: true,
    read: (steps) => pool.withConnection((conn) => runOn(conn, steps()), budgetMs),
    transact: async (steps) => {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await pool.withConnection(async (conn) => {
            await conn.query('START TRANSACTION');
            try {
              const result = await runOn(conn, steps());
              await conn.query('COMMIT');
              return result;
            } catch (err) {
              await conn.query('ROLLBACK').catch(() => undefined);
              throw err;
            }
          }, budgetMs);
        } catch (err) {
          const errno = errnoOf(err) ?? errnoOf((err as { cause?: unknown }).cause);
          if (attempt >= 5 || errno === undefined || !retryable.has(errno)) throw err;
        }
      }
    },
    close: () => pool.end(),
  };
}

function runSync<T>(db: Database.Database, statements: Map<string, Database.Statement>, steps: Steps<T>): T {
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    let statement = statements.get(step.sql);
    if (statement === undefined) {
      statement = db.prepare(step.sql);
      if (statements.size > 500) statements.clear();
      statements.set(step.sql, statement);
    }
    const answer: StepResult = statement.reader
      ? { rows: statement.all(...step.params) as Record<string, unknown>[], affected: 0 }
      : { rows: [], affected: statement.run(...step.params).changes };
    next = steps.next(answer);
  }
  return next.value;
}

/** SQLite: the store's one handle; each transaction runs to its end synchronously (BEGIN IMMEDIATE). */
export function createSqliteRunner(db: Database.Database, dialect: Dialect = sqliteDialect): StepRunner {
  const statements = new Map<string, Database.Statement>();
  const guarded = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(err);
    }
  };
  return {
    dialect,
    shared: false,
    read: (steps) => guarded(() => runSync(db, statements, steps())),
    transact: (steps) => guarded(() => db.transaction(() => runSync(db, statements, steps())).immediate()),
    close: () => Promise.resolve(),
  };
}

export function createStepRunner(handle: StoreHandle, connections: number): StepRunner {
  return handle.engine === 'mariadb' ? createMariaDbRunner(handle.config, connections) : createSqliteRunner(handle.db);
}
