import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbSchema, type DbConfig } from '../../src/config/schema.ts';
import { createMariaDbStore } from '../../src/store/mariadb.ts';
import { createSqliteStore } from '../../src/store/sqlite.ts';
import { StoreUnavailableError, type NewMessage, type Store } from '../../src/store/store.ts';
import { createMemoryStore } from '../support/memory-store.ts';
import { createTestDatabase, describeMariaDb, type TestDatabase } from '../support/mariadb.ts';
import { newRow, sha256, withoutProcessing } from '../support/rows.ts';
import { migrationsWith } from '../support/migrations-dir.ts';
import { createTcpProxy, findClosedPort } from '../support/tcp-proxy.ts';
import { mariaDbOnlyWrites } from './store-contract/mariadb-writes.ts';
import { readContract } from './store-contract/read-contract.ts';
import { upgradeMariaDb, upgradeSqlite } from './store-contract/upgrade.ts';
import { writeContract } from './store-contract/write-contract.ts';

// The Store contract (src/store/store.ts) on both engines, and on the memory store the unit tests use.
// Shared parts live in ./store-contract/.

/** The behaviour both engines must share. `open` gives a store on the engine's database for this file. */
function storeContract(open: () => Promise<Store>): void {
  let store: Store;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(() => store?.close());

  describe('writes', () => writeContract({ store: () => store, open, checksRows: true }));
  describe('reads', () => readContract(() => store));

  it('stores every column and reads it back exactly (bytes, UTC milliseconds, nulls)', async () => {
    const full = newRow({ patientAuthority: 'Hôpital&1.2.756.1&ISO' });
    const sparse = newRow({ dedupKey: null, transport: 'https', status: 'rejected', ackCode: 'AR', ack: null });
    const empty: NewMessage = { ...sparse, sendingApplication: null, sendingFacility: null, receivingApplication: null };
    const nulls: NewMessage = { ...empty, receivingFacility: null, messageType: null, triggerEvent: null, version: null };
    const bare: NewMessage = { ...nulls, patientId: null, remoteAddress: null, tlsClientSubject: null, charset: null, error: 'MSH-9 missing' };
    for (const row of [full, bare]) {
      const result = await store.insertMessage(row);
      if (!result.inserted) throw new Error('expected an insert');
      expect(typeof result.id).toBe('number');
      const stored = await store.getMessage(result.id);
      expect(withoutProcessing(stored)).toEqual(withoutProcessing({ id: result.id, ...row }));
      expect(stored!.raw.equals(row.raw)).toBe(true);
      expect(stored!.receivedAt.toISOString()).toBe('2024-02-29T23:59:59.987Z');
      const { raw, ack, ...listed } = row;
      const rawBytes = raw.length;
      const ackBytes = ack?.length ?? null;
      expect((await store.listMessages({ controlId: row.controlId! })).map(withoutProcessing)).toEqual([withoutProcessing({ id: result.id, ...listed, rawBytes, ackBytes })]);
    }
  });

  it('returns the first row for a duplicate dedup key and writes no second row', async () => {
    const first = newRow();
    const resend = newRow({ dedupKey: first.dedupKey, controlId: first.controlId, contentHash: sha256('other'), ackCode: 'AE' });
    const inserted = await store.insertMessage(first);
    if (!inserted.inserted) throw new Error('expected an insert');
    await expect(store.insertMessage(resend)).resolves.toEqual({
      inserted: false,
      existing: { id: inserted.id, contentHash: first.contentHash, ackCode: 'AA' },
    });
    await expect(store.countMessages({ controlId: first.controlId! })).resolves.toBe(1);
  });

  it('allows any number of rows without a dedup key', async () => {
    const controlId = newRow().controlId;
    const results = [];
    for (let i = 0; i < 3; i += 1) results.push(await store.insertMessage(newRow({ controlId, dedupKey: null })));
    expect(results.every((result) => result.inserted)).toBe(true);
    await expect(store.countMessages({ controlId: controlId! })).resolves.toBe(3);
  });

  it('filters by status, MSH-10 and patient id, newest first, within the limit', async () => {
    const controlId = newRow().controlId!;
    const at = (iso: string): Date => new Date(iso);
    const rows = [
      newRow({ controlId, receivedAt: at('2024-01-01T00:00:00.002Z'), status: 'rejected', dedupKey: null, patientId: 'PX' }),
      newRow({ controlId, receivedAt: at('2024-01-01T00:00:00.003Z') }),
      newRow({ controlId, receivedAt: at('2024-01-01T00:00:00.001Z'), status: 'rejected', dedupKey: null }),
    ];
    for (const row of rows) await store.insertMessage(row);
    const rejected = await store.listMessages({ controlId, status: 'rejected' });
    expect(rejected.map((row) => row.receivedAt.getUTCMilliseconds())).toEqual([2, 1]);
    expect((await store.listMessages({ controlId, limit: 2 })).map((row) => row.receivedAt.getUTCMilliseconds())).toEqual([3, 2]);
    await expect(store.countMessages({ controlId, status: 'received' })).resolves.toBe(1);
    await expect(store.countMessages({ patientId: 'PX', controlId })).resolves.toBe(1);
  });

  it('keeps exactly one row when ten inserts of one dedup key race', async () => {
    const row = newRow();
    const results = await Promise.all(Array.from({ length: 10 }, () => store.insertMessage({ ...row })));
    const winners = results.filter((result) => result.inserted);
    expect(winners).toHaveLength(1);
    const id = winners[0]!.inserted ? winners[0]!.id : -1;
    for (const result of results) if (!result.inserted) expect(result.existing.id).toBe(id);
    await expect(store.countMessages({ controlId: row.controlId! })).resolves.toBe(1);
  });

  it('cuts over-long header values to their column width and keeps raw whole', async () => {
    const long = { sendingApplication: 'A'.repeat(300), patientAuthority: 'H'.repeat(300), error: 'é'.repeat(1500) };
    const row = newRow({ ...long, status: 'rejected', dedupKey: null });
    const result = await store.insertMessage(row);
    const stored = result.inserted ? await store.getMessage(result.id) : null;
    expect(stored?.sendingApplication).toBe('A'.repeat(227));
    expect(stored?.patientAuthority).toBe('H'.repeat(227));
    expect(stored?.error).toBe('é'.repeat(1000));
    expect(stored?.raw.equals(row.raw)).toBe(true);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('refuses work once closed, and closes twice without error', async () => {
    const other = await open();
    await other.close();
    await other.close();
    await expect(other.insertMessage(newRow())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(other.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });
}

describe('store contract: sqlite', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hl7-store-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  describe('on a file in a directory it creates', () => {
    storeContract(async () => createSqliteStore(dbSchema.parse({ driver: 'sqlite', file: join(dir, 'nested', 'hl7.sqlite') })));
  });

  describe('upgrade', () => upgradeSqlite(() => dir));
});

describe('store contract: memory store (test/support)', () => {
  const store = createMemoryStore();
  describe('writes', () => writeContract({ store: () => store, checksRows: false }));
  describe('reads', () => readContract(() => store));
});

describeMariaDb('store contract: mariadb', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = (await createTestDatabase('store'))!;
  });
  afterAll(() => db?.drop());

  describe('contract', () => {
    storeContract(() => createMariaDbStore(db.config));
  });

  describe('upgrade', () => upgradeMariaDb());

  describe('mariadb only', () => {
    describe('writes', () => mariaDbOnlyWrites(() => db));

    it('applies the schema again without harm (idempotent)', async () => {
      const first = await createMariaDbStore(db.config);
      const row = newRow();
      await first.insertMessage(row);
      await first.close();
      const second = await createMariaDbStore(db.config);
      await expect(second.countMessages({ controlId: row.controlId! })).resolves.toBe(1);
      await second.close();
    });

    it('fails fast at start-up, naming the address and the cause, when nothing listens', async () => {
      const port = await findClosedPort();
      const started = Date.now();
      const opening = createMariaDbStore({ ...db.config, host: '127.0.0.1', port });
      await expect(opening).rejects.toThrow(
        new RegExp(`^cannot reach MariaDB at 127\\.0\\.0\\.1:${port} \\(database ${db.config.database}\\): .*ECONNREFUSED`),
      );
      await expect(opening).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(db.config.connectTimeoutMs);
    });

    it('says so when the database does not exist', async () => {
      const database = `hl7_test_missing_${randomBytes(4).toString('hex')}`;
      await expect(createMariaDbStore({ ...db.config, database })).rejects.toThrow(
        `MariaDB database ${database} does not exist at ${db.config.host}:${db.config.port}`,
      );
    });

    it('names the refused user when the server denies access', async () => {
      await expect(createMariaDbStore({ ...db.config, user: 'hl7_test_nobody', password: 'wrong' })).rejects.toThrow(
        /^MariaDB at .* refused user hl7_test_nobody: .*Access denied/,
      );
    });

    it('names the migration, the statement and the error code when a migration statement fails', async () => {
      const migrationsDir = await migrationsWith('0099-broken.sql', 'CREATE TABLE IF NOT EXISTS ok_table (id INT);\nCREATE TABEL broken;\n');
      try {
        await expect(createMariaDbStore(db.config, { migrationsDir })).rejects.toThrow(
          `cannot apply migration 0099-broken (statement 2) from ${join(migrationsDir, 'mariadb', '0099-broken.sql')} on MariaDB at ` +
            `${db.config.host}:${db.config.port} (database ${db.config.database}): ER_PARSE_ERROR (errno 1064)`,
        );
      } finally {
        await rm(migrationsDir, { recursive: true, force: true });
      }
    });

    describe('through a TCP proxy', () => {
      const timeouts = { queryTimeoutMs: 400, connectTimeoutMs: 300, connectionLimit: 2 };
      const budgetMs = timeouts.queryTimeoutMs + timeouts.connectTimeoutMs;

      async function openBehindProxy(overrides: Partial<DbConfig> = {}) {
        const proxy = await createTcpProxy(db.config.host, db.config.port);
        const config: DbConfig = { ...db.config, ...timeouts, ...overrides, port: proxy.port };
        return { proxy, store: await createMariaDbStore(config) };
      }

      /** Inserts concurrently and expects each to fail as unavailable, without PHI, within the budget. */
      async function expectAllUnavailable(store: Store, count: number): Promise<void> {
        const rows = Array.from({ length: count }, () => newRow());
        const started = Date.now();
        const results = await Promise.allSettled(rows.map((row) => store.insertMessage(row)));
        expect(Date.now() - started).toBeLessThan(budgetMs + 500);
        results.forEach((result, i) => {
          if (result.status === 'fulfilled') throw new Error('expected the insert to fail');
          expect(result.reason).toBeInstanceOf(StoreUnavailableError);
          expect(String(result.reason.message)).not.toContain(rows[i]!.controlId);
          expect(String(result.reason.message)).not.toContain(rows[i]!.patientId);
        });
      }

      async function expectAllStored(store: Store, count: number): Promise<void> {
        const results = await Promise.all(Array.from({ length: count }, () => store.insertMessage(newRow())));
        expect(results.every((result) => result.inserted)).toBe(true);
      }

      it('fails inserts quickly while the connection is cut, then recovers', async () => {
        const { proxy, store } = await openBehindProxy();
        try {
          await expectAllStored(store, 3);
          proxy.cut();
          await expectAllUnavailable(store, 5);
          await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
          proxy.restore();
          await expectAllStored(store, 5);
        } finally {
          await store.close();
          await proxy.close();
        }
      });

      it('completes an insert held in flight by a pause once traffic resumes', async () => {
        const { proxy, store } = await openBehindProxy({ queryTimeoutMs: 10_000 });
        try {
          proxy.pause();
          const pending = store.insertMessage(newRow());
          await proxy.waitForTraffic();
          proxy.resume();
          await expect(pending).resolves.toMatchObject({ inserted: true });
        } finally {
          await store.close();
          await proxy.close();
        }
      });

      it('fails inserts within the time budget while the database does not answer, then recovers', async () => {
        const { proxy, store } = await openBehindProxy();
        try {
          await expectAllStored(store, 3);
          proxy.stall();
          // A ping on an idle pooled connection: mysql2 has no timeout for it, only our deadline.
          const started = Date.now();
          await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
          expect(Date.now() - started).toBeLessThan(budgetMs + 500);
          await expectAllUnavailable(store, 5);
          proxy.restore();
          await expectAllStored(store, 5);
        } finally {
          await store.close();
          await proxy.close();
        }
      });
    });
  });
});
