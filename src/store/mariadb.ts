import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { DbConfig } from '../config/schema.ts';
import { createGroupCommitter } from './group-commit.ts';
import { createMariaDbCommit } from './mariadb-commit.ts';
import { describeCause, errorCode, sanitized } from './mariadb-errors.ts';
import type { InsertTraits } from './mariadb-insert.ts';
import { createMariaDbPool, type MariaDbPool } from './mariadb-pool.ts';
import { migrateMariaDb } from './mariadb-migrate.ts';
import { judgeSessionState, readSessionStateRows, SessionStateError, sessionStateSql } from './mariadb-session.ts';
import { readInsertTraits } from './mariadb-traits.ts';
import { countMessagesSql, deleteByIdsSql, expiredIds, selectExpiredSql, selectMessagesSql } from './message-query.ts';
import { countRowSchema, rowBytes, rowToMessage, rowToSummary, selectByIdSql, type SqlValue } from './message-sql.ts';
import { defaultMigrationsDir, MigrationError } from './migrations.ts';
import {
  RowTooLargeError,
  silentStoreLog,
  StoreUnavailableError,
  type ExpiryPolicy,
  type NewMessage,
  type Store,
  type StoreLog,
  type StoreOptions,
} from './store.ts';

/** The first cause that is not our own wrapper: its code decides the start-up message. */
function rootCause(err: unknown): unknown {
  return err instanceof StoreUnavailableError && err.cause !== undefined ? err.cause : err;
}

function startupError(pool: MariaDbPool, config: DbConfig, err: unknown, step: string): Error {
  // Already says what happened and what to do.
  if (err instanceof MigrationError || err instanceof SessionStateError) return err;
  const cause = rootCause(err);
  const text = describeCause(cause);
  switch (errorCode(cause)) {
    case 'ER_BAD_DB_ERROR':
      return new StoreUnavailableError(
        `MariaDB database ${config.database} does not exist at ${config.host}:${config.port}: create it ` +
          `(CREATE DATABASE ${config.database} CHARACTER SET utf8mb4) and start again`,
        { cause },
      );
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return new StoreUnavailableError(`MariaDB at ${pool.where} refused user ${config.user}: ${text}`, { cause });
  }
  if (err instanceof StoreUnavailableError) {
    return new StoreUnavailableError(`cannot reach MariaDB at ${pool.where}: ${text}`, { cause });
  }
  return new Error(`cannot ${step} on MariaDB at ${pool.where}: ${text}`, { cause });
}

export type MariaDbStoreOptions = StoreOptions & {
  /** Overrides what is read from the server (tests: row-by-row ids, small packets). */
  insertTraits?: Partial<InsertTraits>;
  /** Group commits running at the same time, each on its own connection (bench/store-commit.ts). */
  commitConcurrency?: number;
};

/** Refuses a session that could ACK what it may lose; logs what weakens durability. */
async function checkSession(pool: MariaDbPool, config: DbConfig, log: StoreLog): Promise<void> {
  // The state of a pooled connection, as the store's statements will find it.
  const [rows] = await pool.withConnection((conn) => conn.query<RowDataPacket[]>({ sql: sessionStateSql, timeout: config.queryTimeoutMs }));
  const verdict = judgeSessionState(readSessionStateRows(rows));
  for (const warning of verdict.warnings) log.warn({ db: pool.where }, warning);
  if (verdict.problems.length > 0) throw new SessionStateError(`MariaDB at ${pool.where}: ${verdict.problems.join('; ')}`);
}

export async function createMariaDbStore(config: DbConfig, options: MariaDbStoreOptions = {}): Promise<Store> {
  const log = options.log ?? silentStoreLog;
  const pool = createMariaDbPool(config);
  let step = 'connect';
  try {
    await pool.withConnection((conn) => conn.ping());
    step = 'check the session settings';
    await checkSession(pool, config, log);
    if (options.applySchema !== false && options.readOnly !== true) {
      step = 'apply the schema migrations';
      await migrateMariaDb(config, { migrationsDir: options.migrationsDir ?? defaultMigrationsDir, log });
    }
    step = 'read server settings';
    const traits = { ...(await readInsertTraits(pool, config.queryTimeoutMs)), ...options.insertTraits };
    return buildStore(pool, config, traits, options.commitConcurrency ?? 1);
  } catch (err) {
    await pool.end();
    throw startupError(pool, config, err, step);
  }
}

/** Rows per group commit: a few hundred rows already reach the server's best rows per second. */
const groupMaxRows = 500;
const groupMaxBytes = 16 * 1024 * 1024;

function buildStore(pool: MariaDbPool, config: DbConfig, traits: InsertTraits, concurrency: number): Store {
  const timeout = config.queryTimeoutMs;
  const committer = createGroupCommitter({
    commit: createMariaDbCommit({ pool, traits, timeout }),
    schedule: setImmediate,
    maxRows: groupMaxRows,
    maxBytes: Math.min(groupMaxBytes, traits.maxStatementBytes),
    bytesOf: rowBytes,
    deadlineMs: config.queryTimeoutMs + config.connectTimeoutMs,
    concurrency,
  });

  /** Refuses, before it joins a group, a row no statement could carry. */
  function oversized(rows: readonly NewMessage[]): Error | null {
    const tooBig = rows.find((row) => rowBytes(row) > traits.maxStatementBytes);
    if (tooBig === undefined) return null;
    return new RowTooLargeError(
      `a message of ${tooBig.raw.length} bytes exceeds what one statement may carry (max_allowed_packet): ` +
        'raise it on the server, or lower mllp.maxMessageBytes / https.maxMessageBytes',
    );
  }

  // Reads use the text protocol: their SQL varies with the filter and the limit, and a prepared
  // statement per variant would pile up on the server.
  async function read<T extends RowDataPacket[] | ResultSetHeader>(sql: string, params: SqlValue[] = []): Promise<T> {
    try {
      return (await pool.withConnection((conn) => conn.query<T>({ sql, timeout, values: params })))[0];
    } catch (err) {
      throw sanitized(err);
    }
  }

  async function deleteExpired(policy: ExpiryPolicy): Promise<number> {
    const select = selectExpiredSql(policy, (date) => date);
    if (select === null) return 0;
    const ids = expiredIds(await read<RowDataPacket[]>(select.sql, select.params));
    if (ids.length === 0) return 0;
    return (await read<ResultSetHeader>(deleteByIdsSql(ids))).affectedRows;
  }

  let closing: Promise<void> | undefined;
  return {
    ping: async () => {
      await pool.withConnection((conn) => conn.ping()).catch((err: unknown) => Promise.reject(sanitized(err)));
    },
    insertMessage: async (row) => {
      const refused = oversized([row]);
      if (refused !== null) throw refused;
      const [result] = await committer.submit([row]);
      if (result === undefined) throw new Error('no result for the row');
      return result;
    },
    commitBusyShare: () => committer.busyShare(),
    insertMessages: async (rows) => {
      const refused = oversized(rows);
      if (refused !== null) throw refused;
      return committer.submit(rows);
    },
    getMessage: async (id) => {
      const rows = await read<RowDataPacket[]>(selectByIdSql, [id]);
      return rows[0] === undefined ? null : rowToMessage(rows[0]);
    },
    deleteExpired,
    listMessages: async (filter = {}) => {
      const { sql, params } = selectMessagesSql(filter, (date) => date);
      return (await read<RowDataPacket[]>(sql, params)).map(rowToSummary);
    },
    countMessages: async (filter = {}) => {
      const { sql, params } = countMessagesSql(filter, (date) => date);
      return countRowSchema.parse((await read<RowDataPacket[]>(sql, params))[0]);
    },
    // Rows already handed in still commit (or fail within their deadline) before the pool ends.
    close: () => (closing ??= committer.close().then(() => pool.end())),
    handle: { engine: 'mariadb', config, pool },
  };
}
