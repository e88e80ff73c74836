import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { DbConfig } from '../config/schema.ts';
import { describeCause, errorCode } from './mariadb-errors.ts';
import { createMariaDbPool, type MariaDbPool } from './mariadb-pool.ts';
import {
  countMessagesSql,
  countRowSchema,
  existingRowSchema,
  insertParams,
  insertSql,
  rowToMessage,
  selectExistingSql,
  selectMessagesSql,
  type SqlValue,
} from './message-sql.ts';
import { splitSqlStatements } from './split-sql.ts';
import { StoreUnavailableError, type InsertResult, type NewMessage, type Store } from './store.ts';

export const defaultSchemaFile = fileURLToPath(new URL('../../scripts/create-schema.sql', import.meta.url));

/** The first cause that is not our own wrapper: its code decides the start-up message. */
function rootCause(err: unknown): unknown {
  return err instanceof StoreUnavailableError && err.cause !== undefined ? err.cause : err;
}

function startupError(pool: MariaDbPool, config: DbConfig, err: unknown, step: string): Error {
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

async function applySchema(pool: MariaDbPool, schemaFile: string, timeout: number): Promise<void> {
  const statements = splitSqlStatements(await readFile(schemaFile, 'utf8'));
  // DDL goes through the text protocol: not every DDL statement can be prepared.
  for (const sql of statements) await pool.withConnection((conn) => conn.query({ sql, timeout }));
}

export type MariaDbStoreOptions = {
  schemaFile?: string;
  /** false for short-lived checks (`npm run health`) that must not run DDL every time. */
  applySchema?: boolean;
};

export async function createMariaDbStore(config: DbConfig, options: MariaDbStoreOptions = {}): Promise<Store> {
  const schemaFile = options.schemaFile ?? defaultSchemaFile;
  const pool = createMariaDbPool(config);
  let step = 'connect';
  try {
    await pool.withConnection((conn) => conn.ping());
    step = `apply ${schemaFile}`;
    if (options.applySchema !== false) await applySchema(pool, schemaFile, config.queryTimeoutMs);
  } catch (err) {
    await pool.end();
    throw startupError(pool, config, err, step);
  }
  return buildStore(pool, config.queryTimeoutMs);
}

function buildStore(pool: MariaDbPool, timeout: number): Store {
  const execute = <T extends ResultSetHeader | RowDataPacket[]>(sql: string, params: SqlValue[]): Promise<T> =>
    pool.withConnection(async (conn) => (await conn.execute<T>({ sql, timeout }, params))[0]);

  async function select(sql: string, params: SqlValue[]): Promise<RowDataPacket[]> {
    try {
      return await execute<RowDataPacket[]>(sql, params);
    } catch (err) {
      throw sanitized(err);
    }
  }

  async function insertMessage(row: NewMessage): Promise<InsertResult> {
    try {
      const header = await execute<ResultSetHeader>(insertSql, insertParams(row, (date) => date));
      return { inserted: true, id: Number(header.insertId) };
    } catch (err) {
      if (errorCode(err) !== 'ER_DUP_ENTRY' || row.dedupKey === null) throw sanitized(err);
      const rows = await select(selectExistingSql, [row.dedupKey]);
      return { inserted: false, existing: existingRowSchema.parse(rows[0]) };
    }
  }

  let closing: Promise<void> | undefined;
  return {
    ping: async () => {
      await pool.withConnection((conn) => conn.ping()).catch((err: unknown) => Promise.reject(sanitized(err)));
    },
    insertMessage,
    listMessages: async (filter = {}) => {
      const { sql, params } = selectMessagesSql(filter);
      return (await select(sql, params)).map(rowToMessage);
    },
    countMessages: async (filter = {}) => {
      const { sql, params } = countMessagesSql(filter);
      return countRowSchema.parse((await select(sql, params))[0]);
    },
    close: () => (closing ??= pool.end()),
  };
}

/** A failed statement's server text may quote row values: keep only its code. */
function sanitized(err: unknown): unknown {
  if (err instanceof StoreUnavailableError || !(err instanceof Error) || !('sqlState' in err)) return err;
  return Object.assign(new Error(`MariaDB statement failed: ${describeCause(err)}`), { code: errorCode(err) });
}
