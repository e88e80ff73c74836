import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import { z } from 'zod';
import type { DbConfig } from '../config/schema.ts';
import { describeCause, errorCode } from './mariadb-errors.ts';
import { connectionOptions, describeWhere } from './mariadb-pool.ts';
import { sessionStatements } from './mariadb-session.ts';
import {
  describeUnknown,
  loadMigrations,
  MigrationError,
  planMigrations,
  refuseChanged,
  type AppliedMigration,
  type Migration,
} from './migrations.ts';
import type { StoreLog } from './store.ts';

// Applies pending migrations at start-up without stalling running instances:
// 1. Read schema_migrations without any lock. Nothing pending: done, no DDL at all. Every start used
//    to run an ALTER TABLE, which waits for a metadata lock behind any open transaction that read the
//    table, and every running instance's INSERTs then queued behind that ALTER.
// 2. Otherwise take a named lock (GET_LOCK), so two instances never run DDL together, and read again:
//    the other instance may have applied everything meanwhile.
// 3. Apply each file with a short lock_wait_timeout (db.schemaLockWaitSeconds): a table held by an
//    open transaction makes start-up fail, saying so, instead of holding up the running instances.
// MariaDB commits DDL statement by statement, so a migration is not atomic: each statement must be
// safe to run again (IF NOT EXISTS, IF EXISTS) should start-up stop half-way.

/** An upgrade may rebuild an index or copy a large table: exempt from the statement deadline. */
const schemaBudgetMs = 30 * 60_000;

const createTableSql = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT UNSIGNED NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at DATETIME(3) NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`;

const appliedRows = z.array(z.object({ version: z.coerce.number().int(), name: z.string(), checksum: z.string() }));

export type MariaDbMigrateOptions = { migrationsDir: string; log: StoreLog };

/** The lock is server-wide, so it names the database; MariaDB allows 64 characters. */
export const lockNameOf = (database: string): string => `hl7v2-listener:migrate:${database}`.slice(0, 64);

export async function migrateMariaDb(config: DbConfig, options: MariaDbMigrateOptions): Promise<void> {
  const migrations = loadMigrations(options.migrationsDir, 'mariadb');
  const where = describeWhere(config);
  const conn = await createConnection(connectionOptions(config));
  try {
    // autocommit=1 above all: the record of a migration must be committed.
    for (const sql of sessionStatements(config)) await conn.query({ sql, timeout: config.queryTimeoutMs });
    const plan = planMigrations(migrations, await readApplied(conn, config.queryTimeoutMs));
    refuseChanged(plan, where);
    const unknown = describeUnknown(plan);
    if (unknown !== null) options.log.warn({ migrations: unknown }, 'the database has migrations this release does not know (a newer release applied them)');
    if (plan.pending.length === 0) return;
    await withLock(conn, config, options.log, async () => {
      const fresh = planMigrations(migrations, await readApplied(conn, config.queryTimeoutMs));
      refuseChanged(fresh, where);
      if (fresh.pending.length === 0) return;
      await conn.query({ sql: `SET SESSION lock_wait_timeout = ${config.schemaLockWaitSeconds}`, timeout: config.queryTimeoutMs });
      await runDdl(conn, createTableSql);
      for (const migration of fresh.pending) await apply(conn, migration, config, options.log);
    });
  } finally {
    // The named lock goes with the connection, should RELEASE_LOCK not have run.
    await closeWithin(conn, config.connectTimeoutMs);
  }
}

/** QUIT, so the server logs no aborted connection; destroyed if the server does not answer in time. */
async function closeWithin(conn: Connection, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([conn.end().catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
    conn.destroy();
  }
}

async function readApplied(conn: Connection, timeout: number): Promise<AppliedMigration[]> {
  try {
    const [rows] = await conn.query<RowDataPacket[]>({ sql: 'SELECT version, name, checksum FROM schema_migrations', timeout });
    return appliedRows.parse(rows);
  } catch (err) {
    // A database of a release before migrations, or an empty one.
    if (errorCode(err) === 'ER_NO_SUCH_TABLE') return [];
    throw err;
  }
}

const lockResult = z.object({ got: z.coerce.number().nullable() });

async function getLock(conn: Connection, name: string, waitSeconds: number, connectTimeoutMs: number): Promise<boolean> {
  const timeout = waitSeconds * 1000 + connectTimeoutMs;
  const [rows] = await conn.query<RowDataPacket[]>({ sql: 'SELECT GET_LOCK(?, ?) AS got', timeout, values: [name, waitSeconds] });
  return lockResult.parse(rows[0]).got === 1;
}

async function withLock(conn: Connection, config: DbConfig, log: StoreLog, work: () => Promise<void>): Promise<void> {
  const name = lockNameOf(config.database);
  if (!(await getLock(conn, name, 0, config.connectTimeoutMs))) {
    const [rows] = await conn.query<RowDataPacket[]>({ sql: 'SELECT IS_USED_LOCK(?) AS holder', values: [name], timeout: config.queryTimeoutMs });
    const holder = String(rows[0]?.holder ?? 'unknown');
    log.info({ holder, waitSeconds: config.migrationLockWaitSeconds }, 'another instance is applying schema migrations: waiting for it');
    if (!(await getLock(conn, name, config.migrationLockWaitSeconds, config.connectTimeoutMs))) {
      throw new MigrationError(
        `another instance (MariaDB connection ${holder}) has been applying schema migrations to ${describeWhere(config)} ` +
          `for longer than db.migrationLockWaitSeconds (${config.migrationLockWaitSeconds} s): start this one again once it has finished`,
      );
    }
  }
  try {
    await work();
  } finally {
    await conn.query({ sql: 'SELECT RELEASE_LOCK(?)', values: [name], timeout: config.queryTimeoutMs }).catch(() => undefined);
  }
}

/** DDL through the text protocol (not every DDL statement can be prepared), without a deadline. */
async function runDdl(conn: Connection, sql: string): Promise<void> {
  await conn.query({ sql: `SET STATEMENT max_statement_time = 0 FOR ${sql}`, timeout: schemaBudgetMs });
}

async function apply(conn: Connection, migration: Migration, config: DbConfig, log: StoreLog): Promise<void> {
  const started = Date.now();
  log.info({ migration: migration.name }, 'applying schema migration');
  for (const [at, sql] of migration.statements.entries()) {
    try {
      await runDdl(conn, sql);
    } catch (err) {
      throw failure(err, migration, at + 1, config);
    }
  }
  await conn.query({
    sql: 'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3))',
    values: [migration.version, migration.name, migration.checksum],
    timeout: config.queryTimeoutMs,
  });
  log.info({ migration: migration.name, ms: Date.now() - started }, 'applied schema migration');
}

/** A statement the server refused becomes a message that says what to do; a lost connection stays as it is. */
function failure(err: unknown, migration: Migration, statement: number, config: DbConfig): unknown {
  const code = errorCode(err);
  const what = `migration ${migration.name} (statement ${statement})`;
  if (code === 'ER_LOCK_WAIT_TIMEOUT') {
    return new MigrationError(
      `${what} waited more than db.schemaLockWaitSeconds (${config.schemaLockWaitSeconds} s) for a table that another ` +
        'session holds in an open transaction (a report, a backup, a client left in a transaction); the running ' +
        'instances were held up no longer than that. Let that transaction end (SHOW PROCESSLIST, ' +
        'information_schema.innodb_trx), then start again',
      { cause: err },
    );
  }
  if (typeof err !== 'object' || err === null || !('sqlState' in err)) return err;
  const hint = code === 'ER_TABLEACCESS_DENIED_ERROR' || code === 'ER_DBACCESS_DENIED_ERROR'
    ? `: user ${config.user} may not change the schema; grant it ALTER, CREATE, DROP and INDEX on the database, or have a DBA apply ${migration.file}`
    : '';
  return new MigrationError(`cannot apply ${what} from ${migration.file} on MariaDB at ${describeWhere(config)}: ${describeCause(err)}${hint}`, {
    cause: err,
  });
}
