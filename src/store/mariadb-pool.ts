import { createPool, type ConnectionOptions, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import type { DbConfig } from '../config/schema.ts';
import { describeCause, isStatementError, isUnavailableError } from './mariadb-errors.ts';
import { sessionStatements } from './mariadb-session.ts';
import { StoreUnavailableError } from './errors.ts';

// A mysql2 pool whose every use settles in bounded time. mysql2 neither times out a wait for a pooled
// connection nor drops a connection whose query timed out (it stays busy until the server answers,
// which may be never), so both are done here: a deadline around acquire + work, and a connection that
// failed for any reason but a plain SQL error is destroyed, never returned to the pool.

export type MariaDbPool = {
  /**
   * Settles within `budgetMs` (default `queryTimeoutMs + connectTimeoutMs`); connection trouble
   * becomes StoreUnavailableError.
   */
  withConnection<T>(work: (conn: PoolConnection) => Promise<T>, budgetMs?: number): Promise<T>;
  /** Where the pool points, for messages: `127.0.0.1:3306 (database hl7)`. */
  readonly where: string;
  end(): Promise<void>;
};

/**
 * Requests waiting for a connection beyond this are refused at once: the database is far behind, and
 * a quick AR beats a growing queue. Each MLLP connection sends one message at a time, so the number
 * of waiting requests is bounded by the number of connections anyway.
 */
const queueLimit = 1000;

/** One connection's options (the pool's, and the connection that applies migrations). */
export function connectionOptions(config: DbConfig): ConnectionOptions {
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    connectTimeout: config.connectTimeoutMs,
    enableKeepAlive: true,
    charset: 'utf8mb4',
    // DATETIME(3) is read and written as UTC, to the millisecond; ids come back as numbers.
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    // mysql2's promise API otherwise captures a stack trace on every query (Error.captureStackTrace,
    // ~5 % of the service's CPU at one message per commit) to point errors at the caller; ours are
    // wrapped and described by code anyway.
    trace: false,
  };
}

export function poolOptions(config: DbConfig): PoolOptions {
  return { ...connectionOptions(config), connectionLimit: config.connectionLimit, queueLimit };
}

/** Where the store points, for messages: `127.0.0.1:3306 (database hl7)`. */
export function describeWhere(config: DbConfig): string {
  return `${config.host}:${config.port} (database ${config.database})`;
}

class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
}

export function createMariaDbPool(config: DbConfig): MariaDbPool {
  const pool = createPool(poolOptions(config));
  // The session state the store relies on (mariadb-session.ts): autocommit, isolation, and
  // max_statement_time. Our deadline only stops waiting; the server would still run (and may commit)
  // a statement we answered AR for. max_statement_time makes the server abort it first (errno 1969,
  // "unavailable"), so a message refused for slowness is normally not stored behind the sender's
  // back. Commands on one connection run in order, so these run before its first real statement; a
  // connection on which one fails is destroyed, and the statement queued behind fails with it.
  const statements = sessionStatements(config);
  pool.pool.on('connection', (conn) => {
    for (const sql of statements) {
      conn.query(sql, (err: unknown) => {
        if (err) conn.destroy();
      });
    }
  });
  const defaultBudgetMs = config.queryTimeoutMs + config.connectTimeoutMs;
  const where = describeWhere(config);

  function unavailable(err: unknown): unknown {
    if (!isUnavailableError(err)) return err;
    return new StoreUnavailableError(`MariaDB at ${where} unavailable: ${describeCause(err)}`, { cause: err });
  }

  async function withConnection<T>(work: (conn: PoolConnection) => Promise<T>, budgetMs = defaultBudgetMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new DeadlineError(`no answer within ${budgetMs} ms`)), budgetMs);
    });
    const acquiring = pool.getConnection();
    let conn: PoolConnection | undefined;
    try {
      conn = await Promise.race([acquiring, deadline]);
      const result = await Promise.race([work(conn), deadline]);
      conn.release();
      return result;
    } catch (err) {
      if (conn === undefined) {
        // A connection handed over after the deadline goes straight back.
        acquiring.then((late) => late.release(), () => undefined);
      } else if (isStatementError(err)) conn.release();
      else conn.destroy();
      throw unavailable(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async function end(): Promise<void> {
    // pool.end() queues a QUIT behind any command still running, so it may wait on a server that is
    // gone: give it the same budget as any other operation.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, defaultBudgetMs)));
    try {
      await Promise.race([pool.end().catch(() => undefined), gaveUp]);
    } finally {
      clearTimeout(timer);
    }
  }

  return { withConnection, where, end };
}
