import type { RowDataPacket } from 'mysql2/promise';
import { expect, it } from 'vitest';
import type { DbConfig } from '../../../src/config/schema.ts';
import { createMariaDbStore, type MariaDbStoreOptions } from '../../../src/store/mariadb.ts';
import { insertParams, insertSql, rowBytes } from '../../../src/store/message-sql.ts';
import { StoreUnavailableError, type NewMessage, type Store, type Transport } from '../../../src/store/store.ts';
import type { TestDatabase } from '../../support/mariadb.ts';
import { newRow, uniqueTag, withoutProcessing } from '../../support/rows.ts';
import { connectTo } from '../../support/schema-probes.ts';
import { createTcpProxy } from '../../support/tcp-proxy.ts';

// MariaDB-only write paths: a cut under a group in flight, deadlocks with another writer, ids when
// rows go row by row or over several statements, and rows too big for max_allowed_packet.

async function withStore<T>(config: DbConfig, options: MariaDbStoreOptions, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await createMariaDbStore(config, options);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/**
 * Waits (query by query, no timer) until an INSERT of this database has run for a while: it waits for a
 * row lock. The process list, unlike information_schema.innodb_trx, takes no InnoDB latch, so polling
 * it does not hold up the statement we wait for.
 */
async function insertBlocked(config: DbConfig): Promise<void> {
  const conn = await connectTo(config);
  try {
    const sql =
      "SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND info LIKE 'INSERT INTO hl7_message%' AND time_ms > 50";
    for (;;) {
      const [rows] = await conn.query<RowDataPacket[]>(sql, [config.database]);
      if (Number(rows[0]?.n) > 0) return;
    }
  } finally {
    await conn.end();
  }
}

export function mariaDbOnlyWrites(db: () => TestDatabase): void {
  it('fails every caller of a group cut in flight, and of the group behind it, with StoreUnavailableError; nothing is stored', async () => {
    const proxy = await createTcpProxy(db().config.host, db().config.port);
    const config = { ...db().config, port: proxy.port, queryTimeoutMs: 10_000 };
    const rows = Array.from({ length: 40 }, () => newRow());
    try {
      await withStore(config, {}, async (store) => {
        await store.insertMessage(newRow());
        proxy.pause();
        const inFlight = [...rows.slice(0, 15).map((row) => store.insertMessage(row)), store.insertMessages(rows.slice(15, 20))];
        await proxy.waitForTraffic();
        const queued = [...rows.slice(20, 35).map((row) => store.insertMessage(row)), store.insertMessages(rows.slice(35))];
        const started = Date.now();
        proxy.cut();
        const outcomes = await Promise.allSettled([...inFlight, ...queued]);
        expect(Date.now() - started).toBeLessThan(config.queryTimeoutMs);
        for (const outcome of outcomes) {
          expect(outcome.status).toBe('rejected');
          if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(StoreUnavailableError);
        }
        proxy.restore();
      });
      await withStore(db().config, {}, async (direct) => {
        for (const row of rows) await expect(direct.countMessages({ controlId: row.controlId! })).resolves.toBe(0);
      });
    } finally {
      await proxy.close();
    }
  });

  it('retries a group chosen as a deadlock victim, and answers with the rows the other writer committed', async () => {
    const admin = await connectTo(db().config);
    try {
      await withStore(db().config, {}, async (store) => {
        const k1 = newRow();
        const k2 = newRow();
        await admin.query('START TRANSACTION');
        // The other writer changes more rows, so InnoDB rolls back our smaller transaction.
        for (let i = 0; i < 50; i += 1) await admin.execute(insertSql, insertParams(newRow(), (d) => d));
        await admin.execute(insertSql, insertParams(k1, (d) => d));
        // One group, one statement: k2 is written, then k1 waits for the other writer's lock.
        const ours = Promise.all([store.insertMessage(k2), store.insertMessage(k1)]);
        ours.catch(() => undefined);
        await insertBlocked(db().config);
        await admin.execute(insertSql, insertParams(k2, (d) => d));
        await admin.query('COMMIT');
        const [rows] = await admin.query<RowDataPacket[]>('SELECT id, dedup_key FROM hl7_message WHERE dedup_key IN (?, ?)', [k1.dedupKey, k2.dedupKey]);
        const idOf = (key: string | null): number => Number(rows.find((r) => r.dedup_key === key)?.id);
        await expect(ours).resolves.toEqual([
          { inserted: false, existing: { id: idOf(k2.dedupKey), contentHash: k2.contentHash, ackCode: 'AA' } },
          { inserted: false, existing: { id: idOf(k1.dedupKey), contentHash: k1.contentHash, ackCode: 'AA' } },
        ]);
      });
    } finally {
      await admin.end();
    }
  });

  const probe = rowBytes(newRow());
  it.each([
    ['row by row (ids not consecutive)', { consecutiveIds: false }],
    ['over several statements (small max_allowed_packet)', { maxStatementBytes: Math.floor(probe * 2.5) }],
    ['with an id step of 1 read from the server', {}],
  ])('gives each row its own id, and commits a batch whole or not at all, %s', async (_name, insertTraits) => {
    await withStore(db().config, { insertTraits }, async (store) => {
      const tag = uniqueTag('B');
      const batch = Array.from({ length: 7 }, () => newRow());
      const bad = Array.from({ length: 7 }, (_, i) => newRow({ controlId: tag, transport: (i === 6 ? 'ftp' : 'mllp') as Transport }));
      const singles = Array.from({ length: 6 }, () => newRow());
      const [good, failed, ...single] = await Promise.allSettled([
        store.insertMessages(batch),
        store.insertMessages(bad),
        ...singles.map((row) => store.insertMessage(row)),
      ]);
      expect(failed?.status).toBe('rejected');
      await expect(store.countMessages({ controlId: tag })).resolves.toBe(0);
      const results = good?.status === 'fulfilled' ? good.value : [];
      const all: [NewMessage, unknown][] = [
        ...batch.map((row, i): [NewMessage, unknown] => [row, results[i]]),
        ...singles.map((row, i): [NewMessage, unknown] => [row, single[i]?.status === 'fulfilled' ? single[i].value : undefined]),
      ];
      for (const [row, result] of all) {
        if (typeof result !== 'object' || result === null || !('id' in result)) throw new Error('expected an insert');
        expect(withoutProcessing(await store.getMessage(Number(result.id)))).toEqual(withoutProcessing({ id: result.id, ...row }));
      }
    });
  });

  it('refuses a row larger than max_allowed_packet alone, before it joins a group', async () => {
    await withStore(db().config, { insertTraits: { maxStatementBytes: 5_000 } }, async (store) => {
      const huge = newRow({ raw: Buffer.alloc(10_000, 0x41) });
      const small = newRow();
      const [refused, stored] = await Promise.allSettled([store.insertMessage(huge), store.insertMessage(small)]);
      expect(refused).toMatchObject({ status: 'rejected', reason: { name: 'RowTooLargeError', message: expect.stringMatching(/\(max_allowed_packet\): raise it/) } });
      expect(stored).toMatchObject({ status: 'fulfilled', value: { inserted: true } });
      await expect(store.countMessages({ controlId: huge.controlId! })).resolves.toBe(0);
    });
  });
}
