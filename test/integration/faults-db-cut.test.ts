import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { expectNothingLost, untilAaEverywhere } from '../support/fault-checks.ts';
import { startLoad, type Answer } from '../support/fault-load.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { proxiedDatabase, type ProxiedDatabase } from '../support/proxied-db.ts';

// The database connection cut and restored while several senders keep sending (some pipelining):
// nothing that got AA is lost, answers while it is down are AR 207 and come in bounded time, the
// same process recovers on its own, and a refused message sent again is stored exactly once.
// (db-outage.test.ts covers one sender and one message at a time.)

const mariadb = await createTestDatabase('faults_cut');

const queryTimeoutMs = 1_000;
const connectTimeoutMs = 500;
// Two shared cores and other test files running at once: a generous margin, still far from a hang.
const answerBoundMs = queryTimeoutMs + connectTimeoutMs + 2_500;

describe.skipIf(mariadb === null)('faults: database cut and restored under load', () => {
  let db: ProxiedDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await proxiedDatabase(mariadb as TestDatabase, { queryTimeoutMs, connectTimeoutMs });
    t = await startTestApp(db.config);
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  // cut: connections reset (the server went away); stall: nothing answers any more (a dead host,
  // a dropped route), the harder case for "never hang".
  it.each([
    { fault: 'cut', prefix: 'CUT' },
    { fault: 'stall', prefix: 'STL' },
  ] as const)('$fault: loses nothing ACKed, answers AR 207 in bounded time, recovers without a restart', async ({ fault, prefix }) => {
    // Two stop-and-wait senders and two that write four frames at a time.
    const run = await startLoad({ port: t.port, depths: [1, 1, 4, 4], prefix, answerTimeoutMs: answerBoundMs * 4 });
    const count = (pick: (a: Answer) => boolean): number => run.answers.filter(pick).length;

    await run.until(() => count((a) => a.code === 'AA') >= 100, 20_000, 'AA before the fault');
    if (fault === 'cut') db.proxy.cut();
    else db.proxy.stall();
    const cutAt = performance.now();
    await run.until(() => count((a) => a.sentAt > cutAt && a.code === 'AR') >= 16, 30_000, 'AR while down');
    db.proxy.restore();
    const restoredAt = performance.now();
    await untilAaEverywhere(run, 4, restoredAt, 'AA on every connection after the restore');
    await run.stop();
    await expectNothingLost(run, { db: db.direct, port: t.port, prefix, answerBoundMs, minRefused: 16 });
  }, 90_000);
});
