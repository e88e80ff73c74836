import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbConfig } from '../../src/config/schema.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { processingColumns, seedProcessing } from '../support/processing-rows.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// The operator's side of processing over real HTTPS, on each engine: the processingState filter and
// fields of /api/messages, GET /api/processing (counts, oldest waiting, blocked lanes), reprocess
// (202/404/409), retry (count and effect), roles (read sees, operate acts), the backlog metrics.
// The backlog is seeded by SQL (test/support/processing-rows.ts), as the engine would leave it.

type Item = { id: number; controlId: string | null; processingState: string | null; [key: string]: unknown };
type View = {
  enabled: boolean;
  counts: Record<string, number>;
  oldestWaiting: { id: number; receivedAt: string; ageSeconds: number } | null;
  lagging: boolean;
  blocked: { count: number; lanes: { orderingKey: string; failedId: number; waiting: number }[] };
};

const mariadb = await createTestDatabase('api_processing');
/** A database of its own for the lag test: its oldest waiting event must be the only one. */
const lagDb = mariadb ? await createTestDatabase('api_processing_lag') : null;
const engines: [string, DbConfig | 'sqlite'][] = [['sqlite', 'sqlite'], ...(mariadb ? [['mariadb', mariadb.config] as [string, DbConfig]] : [])];
const lagEngines: [string, DbConfig | 'sqlite'][] = [['sqlite', 'sqlite'], ...(lagDb ? [['mariadb', lagDb.config] as [string, DbConfig]] : [])];

afterAll(async () => {
  await mariadb?.drop();
  await lagDb?.drop();
});

const minutesAgo = (n: number): Date => new Date(Date.now() - n * 60_000);

/**
 * The engine (when there is one) must not move the seeded rows: it may process what was just sent,
 * then sleeps for pollIntervalMs (an hour) since nothing wakes it; the seeding waits until it is done.
 */
const quietEngine = { processing: { pollIntervalMs: 3_600_000 } };

/** Resolves once nothing is received or processing (the engine finished what ingest gave it). */
async function settled(t: ApiApp): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const counts = ((await t.get('/api/processing')).json() as View).counts;
    if ((counts.received ?? 0) + (counts.processing ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`processing did not settle: ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(engines)('processing API on %s', (_engine, db) => {
  let t: ApiApp;
  /** MSH-10 → row id. */
  const ids = new Map<string, number>();
  const id = (controlId: string): number => ids.get(controlId) ?? Number.NaN;

  beforeAll(async () => {
    // The engine would take the seeded backlog: it stays off, the API still reports processing on.
    t = await startApiApp(db, {}, { runEngine: false });
    const mllp = await t.openMllp();
    const sent = ['DONE', 'FAIL-A', 'WAIT-A1', 'WAIT-A2', 'SKIP', 'OLD', 'WAIT-B', 'WORK', 'ORU-F1', 'ORU-F2', 'ADT-F3', 'OLD-2'];
    for (const controlId of sent) {
      const type = controlId.startsWith('ORU') ? 'ORU' : 'ADT';
      expect((await mllp.sendAndRead(buildMessage({ controlId, type, event: type === 'ORU' ? 'R01' : 'A01' }))).code).toBe('AA');
    }
    expect((await mllp.sendAndRead(buildMessage({ controlId: 'REFUSED', body: ['EVN|A01|20260115103000'] }))).code).toBe('AE');
    mllp.end();
    for (const row of (await t.app.store?.listMessages({ limit: 100 })) ?? []) ids.set(row.controlId ?? '', row.id);
    const store = t.app.store;
    const seed = (controlId: string, fields: Parameters<typeof seedProcessing>[2]) => seedProcessing(store, id(controlId), fields);
    await seed('DONE', { state: 'processed', attempts: 1, processedAt: minutesAgo(1), orderingKey: 'lane-d' });
    await seed('FAIL-A', { state: 'failed', attempts: 8, error: 'fhir: mapping failed (PID-7 not a date)', orderingKey: 'lane-a', processedAt: minutesAgo(1) });
    await seed('WAIT-A1', { state: 'received', attempts: 0, orderingKey: 'lane-a', receivedAt: minutesAgo(3) });
    await seed('WAIT-A2', { state: 'received', attempts: 0, orderingKey: 'lane-a' });
    await seed('SKIP', { state: 'skipped', attempts: 0, error: 'no route matches', orderingKey: 'lane-s' });
    await seed('WAIT-B', { state: 'received', attempts: 2, nextAttemptAt: new Date(Date.now() + 60_000), orderingKey: 'lane-b' });
    await seed('WORK', { state: 'processing', attempts: 1, orderingKey: 'lane-w' });
    for (const controlId of ['ORU-F1', 'ORU-F2', 'ADT-F3']) await seed(controlId, { state: 'failed', attempts: 8, error: 'amqp: no confirm', orderingKey: `lane-${controlId}` });
    // OLD, OLD-2: stored before processing existed (NULL state); REFUSED: a refused row (NULL state).
    for (const controlId of ['OLD', 'OLD-2', 'REFUSED']) await seed(controlId, { state: null, attempts: null, orderingKey: null });
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function view(): Promise<View> {
    const answer = await t.get('/api/processing');
    expect(answer.status, answer.text).toBe(200);
    return answer.json() as View;
  }

  const listed = async (query: string): Promise<(string | null)[]> => {
    const answer = await t.get(`/api/messages${query}`);
    expect(answer.status, answer.text).toBe(200);
    return (answer.json() as { items: Item[] }).items.map((item) => item.controlId).sort();
  };

  it.each([
    ['failed', ['ADT-F3', 'FAIL-A', 'ORU-F1', 'ORU-F2']],
    ['received', ['WAIT-A1', 'WAIT-A2', 'WAIT-B']],
    ['processing', ['WORK']],
    ['processed', ['DONE']],
    ['skipped', ['SKIP']],
    ['none', ['OLD', 'OLD-2', 'REFUSED']],
  ])('lists messages by processingState=%s', async (state, expected) => {
    expect(await listed(`?processingState=${state}`)).toEqual(expected);
  });

  it('combines processingState with the other filters and refuses an unknown state naming the parameter', async () => {
    expect(await listed('?processingState=failed&type=ORU')).toEqual(['ORU-F1', 'ORU-F2']);
    const answer = await t.get('/api/messages?processingState=done');
    expect(answer.status).toBe(400);
    expect((answer.json() as { detail: string }).detail).toMatch(/^processingState: /);
  });

  it('shows the processing fields on a message', async () => {
    const answer = await t.get(`/api/messages/${id('FAIL-A')}`);
    expect(answer.json()).toMatchObject({
      controlId: 'FAIL-A',
      processingState: 'failed',
      processingAttempts: 8,
      processingError: 'fhir: mapping failed (PID-7 not a date)',
      nextAttemptAt: null,
      processedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T.*Z$/),
    });
    const waiting = (await t.get(`/api/messages/${id('WAIT-B')}`)).json() as Item;
    expect(Date.parse(String(waiting.nextAttemptAt))).toBeGreaterThan(Date.now());
    expect((await t.get(`/api/messages/${id('OLD')}`)).json()).toMatchObject({ processingState: null, processingAttempts: null });
  });

  it('GET /api/processing: counts by state, the oldest waiting event, and the lanes a failed event blocks', async () => {
    const v = await view();
    expect(v.enabled).toBe(true);
    expect(v.counts).toEqual({ received: 3, processing: 1, processed: 1, failed: 4, skipped: 1 });
    expect(v.oldestWaiting?.id).toBe(id('WAIT-A1'));
    expect(v.oldestWaiting?.ageSeconds).toBeGreaterThanOrEqual(170);
    expect(v.lagging).toBe(false);
    expect(v.blocked.count).toBe(4);
    expect(v.blocked.lanes).toEqual([
      { orderingKey: 'lane-a', failedId: id('FAIL-A'), waiting: 2 },
      { orderingKey: 'lane-ORU-F1', failedId: id('ORU-F1'), waiting: 0 },
      { orderingKey: 'lane-ORU-F2', failedId: id('ORU-F2'), waiting: 0 },
      { orderingKey: 'lane-ADT-F3', failedId: id('ADT-F3'), waiting: 0 },
    ]);
  });

  it('lets read keys see and only operate keys act (401 without a key, 403 for ingest/read)', async () => {
    expect((await t.get('/api/processing', t.keys.operate)).status).toBe(200);
    expect((await t.get('/api/processing', t.keys.ingest)).status).toBe(403);
    expect((await t.get('/api/processing', null)).status).toBe(401);
    for (const key of [t.keys.read, t.keys.ingest, t.keys.both]) {
      expect((await t.postJson(`/api/messages/${id('DONE')}/reprocess`, undefined, key)).status).toBe(403);
      expect((await t.postJson('/api/processing/retry', {}, key)).status).toBe(403);
    }
    expect((await t.postJson('/api/processing/retry', {}, null)).status).toBe(401);
    expect(await processingColumns(t.app.store, id('DONE'))).toMatchObject({ processing_state: 'processed' });
  });

  it.each([
    ['a processed event', 'DONE'],
    ['a skipped event', 'SKIP'],
    ['a row stored before processing existed', 'OLD'],
  ])('reprocesses %s: 202, back to received with attempts 0 and no error', async (_name, controlId) => {
    const answer = await t.postJson(`/api/messages/${id(controlId)}/reprocess`);
    expect(answer.status, answer.text).toBe(202);
    expect(answer.json()).toEqual({ id: id(controlId), processingState: 'received' });
    expect(await processingColumns(t.app.store, id(controlId))).toEqual({
      processing_state: 'received',
      processing_attempts: 0,
      processing_error: null,
      next_attempt_at: null,
      processed_at: null,
    });
  });

  it.each([
    [409, 'WAIT-B', /is received: it has not reached a final state/],
    [409, 'WORK', /is processing: it has not reached a final state/],
    [404, 'REFUSED', /refused messages are never processed/],
    [404, 'NO-SUCH', /no accepted message with id/],
  ])('answers %i for %s, changing nothing', async (status, controlId, detail) => {
    const target = ids.get(controlId) ?? 999_999_999;
    const before = await processingColumns(t.app.store, target);
    const answer = await t.postJson(`/api/messages/${target}/reprocess`);
    expect(answer.status, answer.text).toBe(status);
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((answer.json() as { detail: string }).detail).toMatch(detail);
    expect(await processingColumns(t.app.store, target)).toEqual(before);
  });

  it('answers 400 for an id that is not a positive integer', async () => {
    expect((await t.postJson('/api/messages/abc/reprocess')).status).toBe(400);
  });

  it('retries the failed events matching the filters, then the rest, and then none', async () => {
    const first = await t.postJson('/api/processing/retry', { type: 'ORU' });
    expect(first.status, first.text).toBe(200);
    expect(first.json()).toEqual({ retried: 2 });
    expect(await listed('?processingState=failed')).toEqual(['ADT-F3', 'FAIL-A']);
    expect(await processingColumns(t.app.store, id('ORU-F1'))).toMatchObject({ processing_state: 'received', processing_attempts: 0, processing_error: null });
    expect((await t.postJson('/api/processing/retry')).json()).toEqual({ retried: 2 });
    expect((await t.postJson('/api/processing/retry', {})).json()).toEqual({ retried: 0 });
    expect((await view()).blocked).toEqual({ count: 0, lanes: [] });
  });

  it('takes in rows stored before processing with processingState none, never refused rows', async () => {
    expect((await t.postJson('/api/processing/retry', { processingState: 'none' })).json()).toEqual({ retried: 1 });
    expect(await processingColumns(t.app.store, id('OLD-2'))).toMatchObject({ processing_state: 'received' });
    expect(await processingColumns(t.app.store, id('REFUSED'))).toMatchObject({ processing_state: null });
  });

  it.each([
    [{ typo: 1 }, /^typo: unknown parameter/],
    [{ processingState: 'processed' }, /^processingState: /],
    [{ from: '2026-02-01', to: '2026-01-01' }, /^to: must be later than from/],
  ])('refuses a retry body %j naming the field', async (body, detail) => {
    const answer = await t.postJson('/api/processing/retry', body);
    expect(answer.status).toBe(400);
    expect((answer.json() as { detail: string }).detail).toMatch(detail);
  });

  it('exposes the processing metrics, without lane keys', async () => {
    const body = (await t.get('/metrics')).text;
    for (const name of ['hl7_processing_events{state="received"}', 'hl7_processing_blocked_lanes', 'hl7_processing_oldest_waiting_seconds']) {
      expect(body).toContain(name);
    }
    for (const name of ['hl7_processing_lag_seconds', 'hl7_processing_sink_results_total', 'hl7_processing_sink_seconds', 'hl7_processing_retries_total']) {
      expect(body).toContain(`# TYPE ${name}`);
    }
    expect(body).not.toContain('lane-');
  });
});

describe.each(lagEngines)('readiness and the API with processing behind, on %s', (_engine, db) => {
  it('reports degraded (still 200) once the oldest waiting event is older than processing.maxLagSeconds', async () => {
    const t = await startApiApp(db, { processing: { ...quietEngine.processing, maxLagSeconds: 60 } });
    try {
      const mllp = await t.openMllp();
      expect((await mllp.sendAndRead(buildMessage({ controlId: 'LATE' }))).code).toBe('AA');
      mllp.end();
      await settled(t);
      const [row] = (await t.app.store?.listMessages({ controlId: 'LATE' })) ?? [];
      await seedProcessing(t.app.store, row?.id ?? 0, { state: 'received', attempts: 0, orderingKey: 'k', receivedAt: minutesAgo(2) });
      const answer = await t.get('/health/ready', null);
      expect(answer.status).toBe(200);
      expect(answer.json()).toEqual({ status: 'ready', degraded: true, checks: { store: 'up', mllp: 'up', https: 'up', processing: 'degraded' } });
      expect((await t.get('/api/processing')).json()).toMatchObject({ lagging: true, oldestWaiting: { id: row?.id } });
      expect((await t.get('/metrics')).text).toMatch(/^hl7_processing_oldest_waiting_seconds 1[2-9]\d(\.\d+)?$/m);
    } finally {
      await t.stop();
    }
  });

});

describe('the API with processing off (sqlite)', () => {
  it('still answers GET (enabled: false), refuses the controls with 409, and reports processing disabled', async () => {
    const t = await startApiApp('sqlite', { processing: { enabled: false } });
    try {
      expect((await t.get('/api/processing')).json()).toMatchObject({ enabled: false, counts: { received: 0, failed: 0 } });
      for (const answer of [await t.postJson('/api/messages/1/reprocess'), await t.postJson('/api/processing/retry', {})]) {
        expect(answer.status).toBe(409);
        expect((answer.json() as { detail: string }).detail).toMatch(/processing is disabled \(processing\.enabled: false\)/);
      }
      expect((await t.get('/health/ready', null)).json()).toMatchObject({ status: 'ready', degraded: false, checks: { processing: 'disabled' } });
    } finally {
      await t.stop();
    }
  });
});
