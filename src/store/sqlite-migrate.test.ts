import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createRecordingLog } from '../../test/support/store-log.ts';
import { defaultMigrationsDir, loadMigrations, MigrationError } from './migrations.ts';
import { migrateSqlite } from './sqlite-migrate.ts';

const root = mkdtempSync(join(tmpdir(), 'hl7-sqlite-migrate-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const names = loadMigrations(defaultMigrationsDir, 'sqlite').map((m) => m.name);
let files = 0;
const newFile = (): string => join(root, `db-${++files}.sqlite`);

/** The repository's migrations plus `extra` SQLite files. */
function migrationsWith(extra: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'm-'));
  cpSync(defaultMigrationsDir, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) writeFileSync(join(dir, 'sqlite', name), sql);
  return dir;
}

function migrate(file: string, migrationsDir = defaultMigrationsDir) {
  const log = createRecordingLog();
  const db = new Database(file, { timeout: 100 });
  try {
    migrateSqlite(db, `SQLite database ${file}`, { migrationsDir, log });
    const recorded = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').raw().all();
    return { log, recorded };
  } finally {
    db.close();
  }
}

describe('SQLite migrations', () => {
  it('applies every migration to an empty file and records each, in order', () => {
    const { log, recorded } = migrate(newFile());
    expect(recorded).toEqual(names.map((name) => [Number(name.slice(0, 4)), name]));
    expect(log.entries.map((e) => (e.bindings as { migration: string }).migration)).toEqual(names);
  });

  it('writes nothing at all when the file is current', () => {
    const file = newFile();
    migrate(file);
    const before = readFileSync(file);
    const { log } = migrate(file);
    expect(log.entries).toEqual([]);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('applies pending migrations all or none: a failing statement undoes the ones before it', () => {
    const file = newFile();
    const dir = migrationsWith({ '0098-good.sql': 'CREATE TABLE extra (id INTEGER);', '0099-bad.sql': 'CREATE INDEX ix_extra ON extra (id);\nCREATE TABEL nope;' });
    expect(() => migrate(file, dir)).toThrow(/^cannot apply migration 0099-bad \(statement 2\) from .*0099-bad\.sql to SQLite database .*: SQLITE_ERROR: near "TABEL"/);
    const db = new Database(file, { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
      expect(tables).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('refuses a file whose applied migration was edited since, and warns of migrations it does not know', () => {
    const file = newFile();
    migrate(file, migrationsWith({ '0099-later.sql': 'CREATE TABLE later (id INTEGER);' }));
    const { log } = migrate(file);
    expect(log.messages('warn')).toEqual(['the database has migrations this release does not know (a newer release applied them)']);
    const edited = migrationsWith({});
    writeFileSync(join(edited, 'sqlite', `${names[0]}.sql`), '-- edited\nSELECT 1;');
    expect(() => migrate(file, edited)).toThrow(MigrationError);
    expect(() => migrate(file, edited)).toThrow(/^migration 0001-initial was changed after it was applied to SQLite database .*restore the file/);
  });

  it('waits for another writer (BEGIN IMMEDIATE), then fails with SQLITE_BUSY past the busy timeout', () => {
    const file = newFile();
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      expect(() => migrate(file)).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });
});
