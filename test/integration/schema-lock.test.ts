import { rm } from 'node:fs/promises';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMariaDbStore } from '../../src/store/mariadb.ts';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { migrationsWith } from '../support/migrations-dir.ts';
import { connectTo, countAcksWithin, holdTable, untilSettledOrWaiting } from '../support/schema-probes.ts';

// Start-up never stalls a running instance. A session holding a transaction open on hl7_message (a
// report, a backup, the operations API) used to make every start's ALTER TABLE wait for a metadata
// lock, and every insert of every running instance queued behind that ALTER. Now start-up runs no
// DDL when the schema is current, and a pending migration waits db.schemaLockWaitSeconds at most.

const mariadb = await createTestDatabase('schema_lock');

describe.skipIf(mariadb === null)('a second instance starting while a transaction holds hl7_message', () => {
  const db = mariadb as TestDatabase;
  let first: TestApp;

  beforeAll(async () => {
    first = await startTestApp(db.config);
  });
  afterAll(async () => {
    await first?.close();
    await db.drop();
  });

  it('against the current schema: the first keeps ACKing (10 of 10 within 5 s) and the second starts', async () => {
    const holder = await holdTable(db.config);
    let second: Promise<TestApp> | undefined;
    try {
      second = startTestApp(db.config);
      // Whatever the second does at start-up has begun: finished, or waiting for the table.
      await untilSettledOrWaiting(db.config, second);
      expect(await countAcksWithin(first.port, 10, 5_000, 'STALL')).toBe(10);
      await (await second).close();
    } finally {
      await holder.release();
      await second?.then((app) => app.close(), () => undefined);
    }
  });

  it('with a migration pending: start-up fails within the lock wait, saying what to do, and ACKs go on', async () => {
    const lockWaitSeconds = 1;
    const migrationsDir = await migrationsWith('0099-test-extra.sql', 'ALTER TABLE hl7_message ADD COLUMN IF NOT EXISTS test_extra INT NULL;\n');
    const holder = await holdTable(db.config);
    try {
      const started = performance.now();
      const second = createMariaDbStore({ ...db.config, schemaLockWaitSeconds: lockWaitSeconds }, { migrationsDir });
      second.catch(() => undefined);
      expect(await untilSettledOrWaiting(db.config, second)).toBe('waiting');
      // Held up while the ALTER waits, then answered: within the lock wait and a margin.
      expect(await countAcksWithin(first.port, 10, lockWaitSeconds * 1000 + 1_500, 'HELD')).toBe(10);
      await expect(second).rejects.toThrow(
        /^migration 0099-test-extra \(statement 1\) waited more than db\.schemaLockWaitSeconds \(1 s\) for a table that another session holds in an open transaction .*Let that transaction end .*then start again$/,
      );
      expect(performance.now() - started).toBeLessThan(lockWaitSeconds * 1000 + 1_500);
    } finally {
      await holder.release();
      await rm(migrationsDir, { recursive: true, force: true });
    }
    const conn = await connectTo(db.config);
    try {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT version FROM schema_migrations WHERE version = 99');
      expect(rows).toEqual([]);
    } finally {
      await conn.end();
    }
    expect(await countAcksWithin(first.port, 10, 5_000, 'AFTER')).toBe(10);
  });
});
