import { defaultMigrationsDir, loadMigrations } from '../../../src/store/migrations.ts';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dbSchema } from '../../../src/config/schema.ts';
import { createMariaDbStore } from '../../../src/store/mariadb.ts';
import { splitSqlStatements } from '../../../src/store/split-sql.ts';
import { createSqliteStore } from '../../../src/store/sqlite.ts';
import type { Store } from '../../../src/store/store.ts';
import { createTestDatabase, type TestDatabase } from '../../support/mariadb.ts';
import { newRow, sha256, withoutProcessing } from '../../support/rows.ts';
import { connectTo } from '../../support/schema-probes.ts';
import {
  droppedIndexes,
  firstReleaseInsert,
  firstReleaseMariaDb,
  firstReleaseSqlite,
  lastUnnumberedMariaDb,
  lastUnnumberedSqlite,
  upgradedIndexes,
} from './old-schemas.ts';

// A database created by a release before numbered migrations (no schema_migrations) is brought up to
// date when the store starts: 0001-initial runs once on it, then the later migrations. Started twice,
// the second start changes nothing; the old rows stay readable.

const oldRaw = Buffer.from('MSH|^~\\&|OLDAPP|OLDFAC|||20200505||ADT^A01|OLD-1|P|2.5\r');
const oldParams = (receivedAt: Date | string): (string | Date | Buffer)[] => [sha256('OLD-1'), 'OLD-1', receivedAt, oldRaw, sha256(oldRaw)];
const oldReceivedAt = new Date('2020-05-05T05:05:05.555Z');

const releases = [
  { release: 'the first release', mariadb: firstReleaseMariaDb, sqlite: firstReleaseSqlite },
  { release: 'the last release before migrations', mariadb: splitSqlStatements(lastUnnumberedMariaDb), sqlite: lastUnnumberedSqlite },
];

async function expectUpgraded(store: Store): Promise<void> {
  const [listed] = await store.listMessages({ controlId: 'OLD-1' });
  const old = listed === undefined ? null : await store.getMessage(listed.id);
  expect(old).toMatchObject({ sendingApplication: 'OLDAPP', remoteAddress: '10.0.0.1', tlsClientSubject: null, patientAuthority: null, receivedAt: oldReceivedAt });
  expect(old?.raw.equals(oldRaw)).toBe(true);
  const row = newRow({ tlsClientSubject: 'CN=after-upgrade', patientAuthority: 'HOSP' });
  const result = await store.insertMessage(row);
  if (!result.inserted) throw new Error('expected an insert');
  expect(withoutProcessing(await store.getMessage(result.id))).toEqual(withoutProcessing({ id: result.id, ...row }));
}

/** Every migration of this release, as schema_migrations records them. */
const recorded = loadMigrations(defaultMigrationsDir, 'mariadb').map((m) => [m.version, m.name]);

export function upgradeSqlite(dir: () => string): void {
  it.each(releases)('brings a SQLite file of $release up to date, once, keeping its rows', async ({ release, sqlite }) => {
    const file = join(dir(), `${release.replace(/\W+/g, '-')}.sqlite`);
    const old = new Database(file);
    old.exec(sqlite);
    old.prepare(firstReleaseInsert).run(...oldParams(oldReceivedAt.toISOString()));
    old.close();
    for (let start = 0; start < 2; start += 1) {
      const store = createSqliteStore(dbSchema.parse({ driver: 'sqlite', file }));
      try {
        await expectUpgraded(store);
      } finally {
        await store.close();
      }
    }
    const db = new Database(file, { readonly: true });
    try {
      const columns = (db.pragma('table_info(hl7_message)') as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(expect.arrayContaining(['tls_client_subject', 'patient_authority']));
      const indexes = (db.pragma('index_list(hl7_message)') as { name: string }[]).map((i) => i.name);
      expect(indexes).toEqual(expect.arrayContaining(upgradedIndexes));
      for (const name of droppedIndexes) expect(indexes).not.toContain(name);
      expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').raw().all()).toEqual(recorded);
    } finally {
      db.close();
    }
  });
}

async function showCreateTable(conn: Connection, table: string): Promise<string> {
  const [rows] = await conn.query<RowDataPacket[]>(`SHOW CREATE TABLE \`${table}\``);
  return String(rows[0]?.['Create Table']).replace(/ AUTO_INCREMENT=\d+/, '');
}

export function upgradeMariaDb(): void {
  let fresh: TestDatabase;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    fresh = (await createTestDatabase('store_fresh'))!;
    await (await createMariaDbStore(fresh.config)).close();
  });
  afterAll(async () => {
    for (const db of [fresh, ...dbs]) await db?.drop();
  });

  it.each(releases)('brings a table of $release to exactly what the migrations make, once, keeping its rows', async ({ mariadb }) => {
    const db = (await createTestDatabase('store_upgrade'))!;
    dbs.push(db);
    const conn = await connectTo(db.config);
    const reference = await connectTo(fresh.config);
    try {
      for (const sql of mariadb) await conn.query(sql);
      await conn.execute(firstReleaseInsert, oldParams(oldReceivedAt));
      for (let start = 0; start < 2; start += 1) {
        const store = await createMariaDbStore(db.config);
        try {
          await expectUpgraded(store);
        } finally {
          await store.close();
        }
      }
      expect(await showCreateTable(conn, 'hl7_message')).toBe(await showCreateTable(reference, 'hl7_message'));
      const [rows] = await conn.query<RowDataPacket[]>('SELECT version, name FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => [Number(r.version), String(r.name)])).toEqual(recorded);
    } finally {
      await conn.end();
      await reference.end();
    }
  });
}
