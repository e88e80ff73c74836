import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbSchema, retentionSchema, type DbConfig } from '../../src/config/schema.ts';
import { RetentionJob } from '../../src/retention/job.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { ExpiryPolicy, Store } from '../../src/store/store.ts';
import { startTestApp } from '../support/app-harness.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { runSql } from '../support/processing.ts';
import { agedRow } from '../support/rows.ts';

// Retention on both engines: rows with an old received_at are written through the store, then the
// job deletes exactly the expired ones, in chunks, and the app runs it when retention is configured.

const now = new Date('2026-03-01T12:00:00.000Z');

// Accepted: 7 older than 30 days, 2 younger. Refused: 4 older than 7 days, 1 younger.
const seedRows = (base: Date) => [
  ...[90, 80, 70, 60, 50, 40, 31].map((age, i) => agedRow('received', age, `OLD-ACC-${i}`, base)),
  ...[29, 1].map((age, i) => agedRow('received', age, `NEW-ACC-${i}`, base)),
  ...[30, 20, 10, 8].map((age, i) => agedRow('rejected', age, `OLD-REJ-${i}`, base)),
  ...[6].map((age, i) => agedRow('rejected', age, `NEW-REJ-${i}`, base)),
];
const end = new Date('9999-01-01T00:00:00.000Z');

const mariadb = await createTestDatabase('retention');
const sqliteDir = mkdtempSync(join(tmpdir(), 'hl7-retention-'));
const engines: [string, (name: string) => DbConfig | null][] = [
  ['sqlite', (name) => dbSchema.parse({ driver: 'sqlite', file: join(sqliteDir, `${name}.sqlite`) })],
  ['mariadb', () => mariadb?.config ?? null],
];

afterAll(async () => {
  await mariadb?.drop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

describe.each(engines)('retention (%s)', (_engine, configFor) => {
  const skip = configFor('probe') === null;

  /** MariaDB has one database for the file: each case starts from a table holding only the seed. */
  async function seeded(config: DbConfig, base = now): Promise<Store> {
    const store = await createStore(config);
    for (let n = 1; n > 0; ) n = await store.deleteExpired({ acceptedBefore: end, rejectedBefore: end, limit: 1000 });
    await store.insertMessages(seedRows(base));
    return store;
  }

  let store: Store;
  beforeAll(async () => {
    const config = configFor('job');
    if (config !== null) store = await seeded(config);
  });
  afterAll(async () => {
    await store?.close();
  });

  it.skipIf(skip)('a pass deletes exactly the expired rows, oldest first, in bounded chunks', async () => {
    const calls: { policy: ExpiryPolicy; deleted: number }[] = [];
    const counting: Pick<Store, 'deleteExpired'> = {
      deleteExpired: async (policy) => {
        const deleted = await store.deleteExpired(policy);
        calls.push({ policy, deleted });
        return deleted;
      },
    };
    const job = new RetentionJob({
      store: counting,
      config: retentionSchema.parse({ days: 30, rejectedDays: 7, chunkSize: 3 }),
      log: pino({ level: 'silent' }),
      clock: () => now,
    });
    const report = await job.runPass();
    expect(report).toMatchObject({ deletedAccepted: 7, deletedRejected: 4, completed: true });
    // Accepted 3 + 3 + 1, refused 3 + 1: never more than a chunk per statement.
    expect(calls.map((c) => c.deleted)).toEqual([3, 3, 1, 3, 1]);
    const left = await store.listMessages({ limit: 100 });
    expect(left.map((r) => r.controlId).sort()).toEqual(['NEW-ACC-0', 'NEW-ACC-1', 'NEW-REJ-0']);
    // A second pass finds nothing.
    expect(await job.runPass()).toMatchObject({ deletedAccepted: 0, deletedRejected: 0 });
  });

  it.skipIf(skip)('never deletes an event still waiting to be processed or in work; final ones expire', async () => {
    const config = configFor('waiting') as DbConfig;
    const fresh = await seeded(config);
    try {
      for (let n = 1; n > 0; ) n = await fresh.deleteExpired({ acceptedBefore: end, rejectedBefore: end, limit: 1000 });
      const states = ['received', 'processing', 'processed', 'failed', 'skipped', null] as const;
      await fresh.insertMessages(states.map((state) => ({ ...agedRow('received', 90, `AGED-${state ?? 'none'}`, now), processingState: state, orderingKey: 's:test' })));
      expect(await fresh.deleteExpired({ acceptedBefore: now, rejectedBefore: now, limit: 100 })).toBe(4);
      const left = await fresh.listMessages({ limit: 100 });
      expect(left.map((r) => r.controlId).sort()).toEqual(['AGED-processing', 'AGED-received']);
    } finally {
      // MariaDB has one database for the file: leave the table as the other cases expect it.
      await runSql(fresh, "UPDATE hl7_message SET processing_state = NULL WHERE control_id LIKE 'AGED-%'");
      await fresh.deleteExpired({ acceptedBefore: now, rejectedBefore: now, limit: 100 });
      await fresh.close();
    }
  });

  it.skipIf(skip)('the oldest rows go first when a pass is cut short by its chunk', async () => {
    const config = configFor('oldest') as DbConfig;
    const fresh = await seeded(config);
    try {
      expect(await fresh.deleteExpired({ acceptedBefore: now, rejectedBefore: null, limit: 2 })).toBe(2);
      const left = await fresh.listMessages({ status: 'received', limit: 100 });
      expect(left.map((r) => r.controlId)).not.toContain('OLD-ACC-0');
      expect(left.map((r) => r.controlId)).not.toContain('OLD-ACC-1');
      expect(left.map((r) => r.controlId)).toContain('OLD-ACC-2');
    } finally {
      await fresh.close();
    }
  });

  it.skipIf(skip)('the app runs the job when retention is configured, and keeps accepted rows without days', async () => {
    const config = configFor('app') as DbConfig;
    await (await seeded(config, new Date())).close();
    const t = await startTestApp(config, { retention: { rejectedDays: 7 } });
    try {
      // Joins the pass started with the app (or runs one, if it is already over).
      await t.app.retention?.runPass();
      expect(t.app.retention?.totals).toMatchObject({ deletedAccepted: 0, deletedRejected: 4, failedPasses: 0 });
      expect(t.logs.some((line) => line.includes('"msg":"retention pass"'))).toBe(true);
      expect(await t.app.store?.countMessages({ status: 'rejected' })).toBe(1);
      expect(await t.app.store?.countMessages({ status: 'received' })).toBe(9);
    } finally {
      await t.close();
    }
  });
});
