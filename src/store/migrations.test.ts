import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checksumOf, defaultMigrationsDir, loadMigrations, MigrationError, planMigrations, type Migration } from './migrations.ts';

const root = mkdtempSync(join(tmpdir(), 'hl7-migrations-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A migrations folder holding `files` for MariaDB. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(root, 'm-'));
  mkdirSync(join(dir, 'mariadb'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'mariadb', name), text);
  return dir;
}

describe('the repository migrations', () => {
  const mariadb = loadMigrations(defaultMigrationsDir, 'mariadb');
  const sqlite = loadMigrations(defaultMigrationsDir, 'sqlite');

  it('number the same migrations alike on both engines, from 1 without gaps', () => {
    expect(sqlite.map((m) => m.name)).toEqual(mariadb.map((m) => m.name));
    expect(mariadb.map((m) => m.version)).toEqual(mariadb.map((_m, i) => i + 1));
  });

  // MariaDB commits each DDL statement: a start-up stopped half-way runs the file again.
  it.each(mariadb.flatMap((m) => m.statements.map((sql, i) => [`${m.name} #${i + 1}`, sql] as const)))(
    'MariaDB %s is safe to run again',
    (_name, sql) => {
      expect(sql).not.toMatch(/^CREATE (UNIQUE )?(TABLE|INDEX) (?!IF NOT EXISTS)/i);
      expect(sql).not.toMatch(/\bADD (?!((COLUMN|INDEX|KEY|CONSTRAINT|UNIQUE( INDEX| KEY)?|FOREIGN KEY) )?IF NOT EXISTS)/i);
      expect(sql).not.toMatch(/\bDROP (?!((TABLE|INDEX|COLUMN|KEY|CONSTRAINT|FOREIGN KEY) )?IF EXISTS)/i);
    },
  );
});

describe('loadMigrations', () => {
  it('reads NNNN-name.sql in version order, split into statements, and ignores other files', () => {
    const dir = folder({ '0002-second.sql': 'SELECT 2;', '0001-first.sql': '-- one\nSELECT 1;\nSELECT 11;', 'README.md': 'notes' });
    expect(loadMigrations(dir, 'mariadb').map(({ version, name, statements }) => ({ version, name, statements }))).toEqual([
      { version: 1, name: '0001-first', statements: ['SELECT 1', 'SELECT 11'] },
      { version: 2, name: '0002-second', statements: ['SELECT 2'] },
    ]);
  });

  it.each([
    ['a name without four digits', { '1-first.sql': 'SELECT 1;' }, /1-first\.sql: a migration is named NNNN-name\.sql/],
    ['an upper-case name', { '0001-First.sql': 'SELECT 1;' }, /a migration is named NNNN-name\.sql/],
    ['two files with one version', { '0001-a.sql': 'SELECT 1;', '0001-b.sql': 'SELECT 1;' }, /0001-a\.sql and 0001-b\.sql share version 1/],
  ])('refuses %s', (_what, files, message) => {
    expect(() => loadMigrations(folder(files), 'mariadb')).toThrow(message);
    expect(() => loadMigrations(folder(files), 'mariadb')).toThrow(MigrationError);
  });

  it('names a missing folder', () => {
    expect(() => loadMigrations(join(root, 'nowhere'), 'sqlite')).toThrow(/cannot read the migrations folder .*nowhere\/sqlite/);
  });

  it('checksums the file as sha256sum does, with CRLF read as LF', () => {
    const dir = folder({ '0001-a.sql': 'SELECT 1;\n' });
    const file = join(dir, 'mariadb', '0001-a.sql');
    const sha256sum = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
    expect(loadMigrations(dir, 'mariadb')[0]?.checksum).toBe(sha256sum);
    expect(checksumOf('SELECT 1;\r\n')).toBe(sha256sum);
  });
});

describe('planMigrations', () => {
  const migration = (version: number, checksum = `c${version}`): Migration => ({
    version,
    name: `000${version}-m`,
    checksum,
    file: `000${version}-m.sql`,
    statements: [],
  });
  const applied = (version: number, checksum = `c${version}`) => ({ version, name: `000${version}-m`, checksum });

  it.each([
    ['an empty database', [], [1, 2, 3], [], []],
    ['a current database', [applied(1), applied(2), applied(3)], [], [], []],
    ['one behind', [applied(1), applied(2)], [3], [], []],
    ['a gap (a migration merged late)', [applied(1), applied(3)], [2], [], []],
    ['an edited migration', [applied(1), applied(2, 'old'), applied(3)], [], [2], []],
    ['a newer release before', [applied(1), applied(2), applied(3), applied(4)], [], [], [4]],
  ])('%s', (_what, rows, pending, changed, unknown) => {
    const plan = planMigrations([migration(1), migration(2), migration(3)], rows);
    expect(plan.pending.map((m) => m.version)).toEqual(pending);
    expect(plan.changed.map((c) => c.migration.version)).toEqual(changed);
    expect(plan.unknown.map((row) => row.version)).toEqual(unknown);
  });
});
