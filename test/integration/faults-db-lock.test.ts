import { createConnection, type Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { expectNothingLost, untilAaEverywhere } from '../support/fault-checks.ts';
import { startLoad, type Answer } from '../support/fault-load.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';

// The database slowed to a halt: another session holds `LOCK TABLES hl7_message WRITE` while the
// senders keep going. Every statement then waits on the lock until the service gives up on it:
// senders get AR 207 within the store's budget instead of hanging; once the lock is released they
// get AA again; nothing ACKed is lost; and an insert that the service gave up on but that MariaDB
// committed once the lock went away is not stored twice when the sender retransmits it.

const mariadb = await createTestDatabase('faults_lock');

const queryTimeoutMs = 1_000;
const connectTimeoutMs = 500;
const answerBoundMs = queryTimeoutMs + connectTimeoutMs + 2_500;

async function connect(db: TestDatabase): Promise<Connection> {
  const { host, port, user, password, database } = db.config;
  return createConnection({ host, port, user, password, database });
}

describe.skipIf(mariadb === null)('faults: database slowed by a table lock', () => {
  const db = mariadb as TestDatabase;
  let t: TestApp;
  let locker: Connection;

  beforeAll(async () => {
    t = await startTestApp({ ...db.config, queryTimeoutMs, connectTimeoutMs });
    locker = await connect(db);
  });
  afterAll(async () => {
    await locker?.end();
    await t?.close();
    await db.drop();
  });

  it('answers AR 207 in bounded time while the table is locked, AA after UNLOCK, no loss, no duplicate', async () => {
    const run = await startLoad({ port: t.port, depths: [1, 1, 1, 4], prefix: 'LCK', answerTimeoutMs: answerBoundMs * 4 });
    const count = (pick: (a: Answer) => boolean): number => run.answers.filter(pick).length;

    await run.until(() => count((a) => a.code === 'AA') >= 100, 20_000, 'AA before the lock');
    await locker.query('LOCK TABLES hl7_message WRITE');
    const lockedAt = performance.now();
    await run.until(() => count((a) => a.sentAt > lockedAt && a.code === 'AR') >= 12, 30_000, 'AR while locked');
    await locker.query('UNLOCK TABLES');
    const unlockedAt = performance.now();
    await untilAaEverywhere(run, 4, unlockedAt, 'AA on every connection after UNLOCK');
    await run.stop();
    await expectNothingLost(run, { db: db.config, port: t.port, prefix: 'LCK', answerBoundMs, minRefused: 12 });
  }, 90_000);
});
