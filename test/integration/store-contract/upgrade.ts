import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dbSchema } from '../../../src/config/schema.ts';
import { createMariaDbStore } from '../../../src/store/mariadb.ts';
import { createSqliteStore } from '../../../src/store/sqlite.ts';
import type { Store } from '../../../src/store/store.ts';
import { createTestDatabase, type TestDatabase } from '../../support/mariadb.ts';
import { newRow, sha256 } from '../../support/rows.ts';
import { connectTo } from './mariadb-writes.ts';
import { droppedIndexes, firstReleaseInsert, firstReleaseMariaDb, firstReleaseSqlite, upgradedIndexes } from './old-schemas.ts';

// A database created by the first release is brought up to date when the store starts, twice in a
// row (the upgrade is idempotent), and its rows stay readable.

const oldRaw = Buffer.from('MSH|^~\\&|OLDAPP|OLDFAC|||20200505||ADT^A01|OLD-1|P|2.5\r');
const oldParams = (receivedAt: Date | string): (string | Date | Buffer)[] => [sha256('OLD-1'), 'OLD-1', receivedAt, oldRaw, sha256(oldRaw)];
const oldReceivedAt = new Date('2020-05-05T05:05:05.555Z');

async function expectUpgraded(store: Store): Promise<void> {
  const [old] = await store.listMessages({ controlId: 'OLD-1' });
  expect(old).toMatchObject({ sendingApplication: 'OLDAPP', remoteAddress: '10.0.0.1', tlsClientSubject: null, receivedAt: oldReceivedAt });
  expect(old?.raw.equals(oldRaw)).toBe(true);
  const row = newRow({ tlsClientSubject: 'CN=after-upgrade' });
  const result = await store.insertMessage(row);
  if (!result.inserted) throw new Error('expected an insert');
  await expect(store.getMessage(result.id)).resolves.toEqual({ id: result.id, ...row });
}

export function upgradeSqlite(dir: () => string): void {
  it('adds tls_client_subject and the keyset indexes to a first-release SQLite file, keeping its rows', async () => {
    const file = join(dir(), 'first-release.sqlite');
    const old = new Database(file);
    old.exec(firstReleaseSqlite);
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
      const columns = db.pragma('table_info(hl7_message)') as { name: string }[];
      expect(columns.filter((c) => c.name === 'tls_client_subject')).toHaveLength(1);
      const indexes = (db.pragma('index_list(hl7_message)') as { name: string }[]).map((i) => i.name);
      expect(indexes).toEqual(expect.arrayContaining(upgradedIndexes));
      for (const name of droppedIndexes) expect(indexes).not.toContain(name);
    } finally {
      db.close();
    }
  });
}

export function upgradeMariaDb(): void {
  let db: TestDatabase;
  beforeAll(async () => {
    db = (await createTestDatabase('store_upgrade'))!;
  });
  afterAll(() => db?.drop());

  it('adds tls_client_subject after remote_address and the keyset indexes to a first-release table, keeping its rows', async () => {
    const conn = await connectTo(db.config);
    try {
      for (const sql of firstReleaseMariaDb) await conn.query(sql);
      await conn.execute(firstReleaseInsert, oldParams(oldReceivedAt));
      for (let start = 0; start < 2; start += 1) {
        const store = await createMariaDbStore(db.config);
        try {
          await expectUpgraded(store);
        } finally {
          await store.close();
        }
      }
      const [columns] = await conn.query<RowDataPacket[]>(
        'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position',
        [db.config.database, 'hl7_message'],
      );
      const names = columns.map((c) => String(c.name));
      expect(names.indexOf('tls_client_subject')).toBe(names.indexOf('remote_address') + 1);
      const [ackType] = await conn.query<RowDataPacket[]>(
        'SELECT data_type AS type FROM information_schema.columns WHERE table_schema = ? AND table_name = ? AND column_name = ?',
        [db.config.database, 'hl7_message', 'ack'],
      );
      expect(ackType.map((c) => String(c.type))).toEqual(['mediumblob']);
      const [indexes] = await conn.query<RowDataPacket[]>(
        'SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = ? AND table_name = ?',
        [db.config.database, 'hl7_message'],
      );
      const indexNames = indexes.map((i) => String(i.name));
      expect(indexNames).toEqual(expect.arrayContaining(upgradedIndexes));
      for (const name of droppedIndexes) expect(indexNames).not.toContain(name);
    } finally {
      await conn.end();
    }
  });
}
