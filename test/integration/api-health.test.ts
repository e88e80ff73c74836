import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { proxiedDatabase, type ProxiedDatabase } from '../support/proxied-db.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// GET /health/live and /health/ready on the real service: readiness follows the database (cut
// through a TCP proxy; the shared server is never stopped) and the MLLP door, and needs no key.
// Meanwhile the operations API answers 503 with Retry-After.

type ReadyBody = { status: string; degraded: boolean; checks: { store: string; mllp: string; https: string; processing: string } };

const mariadb = await createTestDatabase('api_health');

describe.skipIf(mariadb === null)('health probes (mariadb behind a proxy)', () => {
  let db: ProxiedDatabase;
  let t: ApiApp;

  beforeAll(async () => {
    db = await proxiedDatabase(mariadb as TestDatabase);
    t = await startApiApp(db.config);
  });
  afterAll(async () => {
    await t?.stop();
    await db?.close();
  });

  async function ready(): Promise<{ status: number; body: ReadyBody }> {
    const answer = await t.get('/health/ready', null);
    return { status: answer.status, body: answer.json() as ReadyBody };
  }

  it('is live without a key', async () => {
    const answer = await t.get('/health/live', null);
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ status: 'live' });
  });

  it('is ready while the store answers and both doors listen', async () => {
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', degraded: false, checks: { store: 'up', mllp: 'up', https: 'up', processing: 'up' } } });
  });

  it('turns not ready (503) when the database connection is cut, and ready again once it is back', async () => {
    db.proxy.cut();
    const started = Date.now();
    expect(await ready()).toEqual({ status: 503, body: { status: 'not ready', degraded: false, checks: { store: 'down', mllp: 'up', https: 'up', processing: 'unknown' } } });
    // Bounded by db.queryTimeoutMs: a probe never hangs.
    expect(Date.now() - started).toBeLessThan(3000);
    // Liveness does not depend on the database: restarting the process would not help.
    expect((await t.get('/health/live', null)).status).toBe(200);
    // The operations API says so too: 503 with Retry-After, not a 500.
    const search = await t.get('/api/messages');
    expect(search.status).toBe(503);
    expect(search.headers['retry-after']).toBe('30');
    expect(search.headers['content-type']).toMatch(/^application\/problem\+json/);

    db.proxy.restore();
    let answer = await ready();
    // The pool reconnects by itself; a few probes may still meet a connection from before the cut.
    for (let attempt = 0; attempt < 20 && answer.status !== 200; attempt++) answer = await ready();
    expect(answer).toEqual({ status: 200, body: { status: 'ready', degraded: false, checks: { store: 'up', mllp: 'up', https: 'up', processing: 'up' } } });
  });

  it('turns not ready when the MLLP door stops listening', async () => {
    await t.app.mllp?.close();
    expect(await ready()).toEqual({ status: 503, body: { status: 'not ready', degraded: false, checks: { store: 'up', mllp: 'down', https: 'up', processing: 'up' } } });
  });
});
