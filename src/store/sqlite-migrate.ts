import type Database from 'better-sqlite3';
import { z } from 'zod';
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

// The embedded engine's migrations (migrations/sqlite/), as on MariaDB: read schema_migrations
// without a lock, and when nothing is pending write nothing at all. Otherwise BEGIN IMMEDIATE (the
// write lock: another process opening the same file waits, up to its busy timeout) and read again.
// SQLite DDL is transactional, so all pending migrations and their records commit together, or
// none does.

const createTableSql = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL
) STRICT`;

const appliedRows = z.array(z.object({ version: z.number().int(), name: z.string(), checksum: z.string() }));
const columnInfo = z.array(z.object({ name: z.string() }));

function tableExists(db: Database.Database, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
}

function readApplied(db: Database.Database): AppliedMigration[] {
  if (!tableExists(db, 'schema_migrations')) return [];
  return appliedRows.parse(db.prepare('SELECT version, name, checksum FROM schema_migrations').all());
}

/**
 * A file of the first release has hl7_message without tls_client_subject, and SQLite has no
 * ADD COLUMN IF NOT EXISTS for 0001-initial.sql to use: add it here, once, before 0001 runs.
 */
function adoptFirstRelease(db: Database.Database): void {
  if (!tableExists(db, 'hl7_message')) return;
  const columns = new Set(columnInfo.parse(db.pragma('table_info(hl7_message)')).map((column) => column.name));
  if (!columns.has('tls_client_subject')) db.exec('ALTER TABLE hl7_message ADD COLUMN tls_client_subject TEXT NULL');
}

function apply(db: Database.Database, migration: Migration, where: string): void {
  if (migration.version === 1) adoptFirstRelease(db);
  for (const [at, sql] of migration.statements.entries()) {
    try {
      db.exec(sql);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      const code = err instanceof Error && 'code' in err ? `${String(err.code)}: ` : '';
      throw new MigrationError(`cannot apply migration ${migration.name} (statement ${at + 1}) from ${migration.file} to ${where}: ${code}${text}`, {
        cause: err,
      });
    }
  }
  db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)').run(
    migration.version,
    migration.name,
    migration.checksum,
    new Date().toISOString(),
  );
}

export function migrateSqlite(db: Database.Database, where: string, options: { migrationsDir: string; log: StoreLog }): void {
  const migrations = loadMigrations(options.migrationsDir, 'sqlite');
  const plan = planMigrations(migrations, readApplied(db));
  refuseChanged(plan, where);
  const unknown = describeUnknown(plan);
  if (unknown !== null) options.log.warn({ migrations: unknown }, 'the database has migrations this release does not know (a newer release applied them)');
  if (plan.pending.length === 0) return;
  const applied = db.transaction((): Migration[] => {
    const fresh = planMigrations(migrations, readApplied(db));
    refuseChanged(fresh, where);
    db.exec(createTableSql);
    for (const migration of fresh.pending) apply(db, migration, where);
    return fresh.pending;
  }).immediate();
  for (const migration of applied) options.log.info({ migration: migration.name }, 'applied schema migration');
}
