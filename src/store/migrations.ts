import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitSqlStatements } from './split-sql.ts';

// Numbered schema migrations, the same numbers for both engines:
//   migrations/mariadb/NNNN-name.sql   migrations/sqlite/NNNN-name.sql
// applied in numeric order, each once, and recorded in schema_migrations (version, name, checksum,
// applied_at). The engines' runners (mariadb-migrate.ts, sqlite-migrate.ts) lock and apply; this
// module reads the files and decides what is pending.
//
// Why not a library: umzug has no lock of its own (sequelize/umzug#518), postgrator wants its own
// file names (`NNN.do.name.sql`), knex brings a query builder and a lock table instead of GET_LOCK.
// Our rules (GET_LOCK with a short lock_wait_timeout on MariaDB, BEGIN IMMEDIATE on SQLite, no DDL
// at all when current, split-sql.ts for statements) fit in these three small files.

export const defaultMigrationsDir = fileURLToPath(new URL('../../migrations/', import.meta.url));

export type Engine = 'mariadb' | 'sqlite';

export type Migration = {
  version: number;
  /** The file name without `.sql`: `0002-patient-authority`. */
  name: string;
  /** sha256 hex of the file with CRLF read as LF: `sha256sum` of the file as checked out on Unix. */
  checksum: string;
  file: string;
  statements: string[];
};

/** A row of schema_migrations. */
export type AppliedMigration = { version: number; name: string; checksum: string };

export type MigrationPlan = {
  /** Not applied yet, in the order to apply them. */
  pending: Migration[];
  /** Applied, but the file has changed since. */
  changed: { migration: Migration; applied: AppliedMigration }[];
  /** Applied by a newer release: this one has no file for them. */
  unknown: AppliedMigration[];
};

/** Raised when migrations cannot be read or applied; the message says what to do. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const fileName = /^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.sql$/;

export function checksumOf(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n')).digest('hex');
}

/** The engine's migrations, by version. Any `.sql` file not named `NNNN-name.sql` is an error. */
export function loadMigrations(root: string, engine: Engine): Migration[] {
  const dir = join(root, engine);
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.sql'));
  } catch (err) {
    throw new MigrationError(`cannot read the migrations folder ${dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const migrations = names.map((name): Migration => {
    const match = fileName.exec(name);
    if (match === null) throw new MigrationError(`${join(dir, name)}: a migration is named NNNN-name.sql (four digits, lower-case words)`);
    const file = join(dir, name);
    const text = readFileSync(file, 'utf8');
    return { version: Number(match[1]), name: name.slice(0, -4), checksum: checksumOf(text), file, statements: splitSqlStatements(text) };
  });
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((migration, i) => {
    const previous = migrations[i - 1];
    if (previous?.version === migration.version) {
      throw new MigrationError(`${dir}: ${previous.name}.sql and ${migration.name}.sql share version ${migration.version}`);
    }
  });
  return migrations;
}

export function planMigrations(migrations: readonly Migration[], applied: readonly AppliedMigration[]): MigrationPlan {
  const byVersion = new Map(applied.map((row) => [row.version, row]));
  const known = new Set(migrations.map((migration) => migration.version));
  const plan: MigrationPlan = { pending: [], changed: [], unknown: applied.filter((row) => !known.has(row.version)) };
  for (const migration of migrations) {
    const row = byVersion.get(migration.version);
    if (row === undefined) plan.pending.push(migration);
    else if (row.checksum !== migration.checksum) plan.changed.push({ migration, applied: row });
  }
  return plan;
}

/**
 * Refuses a database whose applied migrations differ from their files: the schema may not be what
 * this release expects. The remedy is never to edit an applied migration, but to add a new one.
 */
export function refuseChanged(plan: MigrationPlan, where: string): void {
  const first = plan.changed[0];
  if (first === undefined) return;
  const { migration, applied } = first;
  throw new MigrationError(
    `migration ${migration.name} was changed after it was applied to ${where} (recorded checksum ` +
      `${applied.checksum.slice(0, 12)}…, ${migration.file} now ${migration.checksum.slice(0, 12)}…): an applied ` +
      'migration is never edited; restore the file and put the change in a new migration',
  );
}

/** For the start-up log: versions a newer release applied (a rollback of the service, usually harmless). */
export function describeUnknown(plan: MigrationPlan): string | null {
  if (plan.unknown.length === 0) return null;
  return plan.unknown.map((row) => row.name).join(', ');
}
