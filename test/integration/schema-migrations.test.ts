import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { createMariaDbStore } from '../../src/store/mariadb.ts';
import { defaultMigrationsDir, loadMigrations } from '../../src/store/migrations.ts';
import { splitSqlStatements } from '../../src/store/split-sql.ts';
import { createTestDatabase, describeMariaDb, type TestDatabase } from '../support/mariadb.ts';
import { finalStage } from '../support/packaging.ts';
import { connectTo } from '../support/schema-probes.ts';
import { createRecordingLog } from '../support/store-log.ts';

// Numbered migrations on MariaDB: instances starting together apply each one once (GET_LOCK), and
// scripts/create-schema.sql, the DBA's copy, makes exactly what the migrations make.

const createSchemaFile = fileURLToPath(new URL('../../scripts/create-schema.sql', import.meta.url));
const migrations = loadMigrations(defaultMigrationsDir, 'mariadb');

const databases: TestDatabase[] = [];
async function freshDatabase(prefix: string): Promise<TestDatabase> {
  const db = (await createTestDatabase(prefix))!;
  databases.push(db);
  return db;
}
afterAll(async () => {
  for (const db of databases) await db.drop();
});

async function withConnection<T>(db: TestDatabase, work: (conn: Connection) => Promise<T>): Promise<T> {
  const conn = await connectTo(db.config);
  try {
    return await work(conn);
  } finally {
    await conn.end();
  }
}

/** Every table as SHOW CREATE TABLE prints it, and the recorded migrations (without applied_at). */
async function describeSchema(conn: Connection): Promise<{ tables: Record<string, string>; recorded: unknown[] }> {
  const [names] = await conn.query<RowDataPacket[]>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name',
  );
  const tables: Record<string, string> = {};
  for (const { name } of names) {
    const [rows] = await conn.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${String(name)}\``);
    tables[String(name)] = String(rows[0]?.['Create Table']).replace(/ AUTO_INCREMENT=\d+/, '');
  }
  const [recorded] = await conn.query<RowDataPacket[]>('SELECT version, name, checksum FROM schema_migrations ORDER BY version');
  return { tables, recorded: recorded.map((r) => ({ version: Number(r.version), name: String(r.name), checksum: String(r.checksum) })) };
}

describeMariaDb('schema migrations on MariaDB', () => {
  it('applies each migration once when four instances start together on an empty database', async () => {
    const db = await freshDatabase('migrate_race');
    const logs = Array.from({ length: 4 }, () => createRecordingLog());
    const stores = await Promise.all(logs.map((log) => createMariaDbStore(db.config, { log })));
    await Promise.all(stores.map((store) => store.close()));
    const applied = logs.flatMap((log) => log.entries.filter((e) => e.message === 'applied schema migration').map((e) => e.bindings));
    expect(applied.map((b) => (b as { migration: string }).migration).sort()).toEqual(migrations.map((m) => m.name));
    const recorded = await withConnection(db, async (conn) => (await describeSchema(conn)).recorded);
    expect(recorded).toEqual(migrations.map(({ version, name, checksum }) => ({ version, name, checksum })));
  });

  it('runs no DDL on a start against the current schema', async () => {
    const db = await freshDatabase('migrate_current');
    await (await createMariaDbStore(db.config)).close();
    const log = createRecordingLog();
    await (await createMariaDbStore(db.config, { log })).close();
    expect(log.messages()).toEqual([]);
  });

  it('scripts/create-schema.sql makes exactly what the migrations make, records them, and can run twice', async () => {
    const migrated = await freshDatabase('by_migrations');
    const byHand = await freshDatabase('by_script');
    await (await createMariaDbStore(migrated.config)).close();
    const statements = splitSqlStatements(readFileSync(createSchemaFile, 'utf8'));
    await withConnection(byHand, async (conn) => {
      for (let run = 0; run < 2; run += 1) for (const sql of statements) await conn.query(sql);
    });
    const expected = await withConnection(migrated, describeSchema);
    const actual = await withConnection(byHand, describeSchema);
    const rows = migrations.map((m) => `  (${m.version}, '${m.name}', '${m.checksum}', UTC_TIMESTAMP(3))`).join(',\n');
    expect(actual.recorded, `scripts/create-schema.sql must record the migrations as:\n${rows}`).toEqual(expected.recorded);
    expect(actual.tables).toEqual(expected.tables);
    // A service started on it finds nothing to do.
    const log = createRecordingLog();
    await (await createMariaDbStore(byHand.config, { log })).close();
    expect(log.messages()).toEqual([]);
  });
});

describe('the image', () => {
  it('carries the migrations that start-up applies', () => {
    expect(finalStage().filter((i) => i.op === 'COPY').map((i) => i.args)).toContain('migrations ./migrations');
  });
});
