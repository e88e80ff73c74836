import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { processingSchema, type DbConfig, type ProcessingConfig } from '../../src/config/schema.ts';
import { createStepRunner } from '../../src/processing/claim-store.ts';
import { ProcessingEngine } from '../../src/processing/engine.ts';
import type { ProcessingObserver } from '../../src/processing/observer.ts';
import { orderingKeyFor } from '../../src/processing/ordering-key.ts';
import type { SinkEvent, SinkResult } from '../../src/processing/sink.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { mariaDbReachable } from '../support/mariadb.ts';
import { createRecordingSink, engineDatabases, processingRows, runSql, waitUntil, type ProcessingRow, type RecordingSink } from '../support/processing.ts';
import { newRow } from '../support/rows.ts';

// Failure paths of the engine on both engines: retries with backoff, maxAttempts, block vs skip,
// permanent errors, no route, and an event set back to `received` (what reprocess/retry do).

const sqliteDir = mkdtempSync(join(tmpdir(), 'hl7-proc-fail-'));
const databases = engineDatabases(sqliteDir, 'proc_fail');
const engines = databases.engines;
afterAll(async () => {
  await databases.drop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

type Observed = { finished: string[]; retrying: string[]; delivered: { ok: number; transient: number; permanent: number } };
type Bench = { store: Store; engine: ProcessingEngine; sink: RecordingSink; observed: Observed; close(): Promise<void> };

async function bench(dbConfig: DbConfig, processing: Partial<ProcessingConfig>): Promise<Bench> {
  const store = await createStore(dbConfig);
  const sink = createRecordingSink('log');
  const config = processingSchema.parse({ pollIntervalMs: 20, routes: [{ match: { type: ['ADT'] }, sinks: ['log'] }], ...processing });
  const observed: Observed = { finished: [], retrying: [], delivered: { ok: 0, transient: 0, permanent: 0 } };
  const observer: ProcessingObserver = {
    finished: (e) => void observed.finished.push(e.state),
    retrying: (name) => void observed.retrying.push(name ?? ''),
    yielded: () => undefined,
    delivered: (_name, r) => {
      observed.delivered.ok += r.ok;
      observed.delivered.transient += r.transient;
      observed.delivered.permanent += r.permanent;
    },
  };
  const engine = new ProcessingEngine({
    config,
    runner: createStepRunner(store.handle!, 4),
    sinks: new Map([['log', sink]]),
    log: pino({ level: 'silent' }),
    observer,
    drainTimeoutMs: 2_000,
  });
  return {
    store,
    engine,
    sink,
    observed,
    async close() {
      await engine.close();
      await store.close();
    },
  };
}

/** Rows of patient `patient` (their lane), named by control id (insert order = receive order). */
async function insert(store: Store, patient: string, names: string[], type = 'ADT'): Promise<void> {
  for (const controlId of names) {
    const row = newRow({ controlId, dedupKey: `k-${controlId}`, messageType: type, patientId: patient, patientAuthority: null, processingState: 'received' });
    await store.insertMessage({ ...row, orderingKey: orderingKeyFor('per-patient', row) });
  }
}

async function rowsByName(store: Store): Promise<Map<string, ProcessingRow>> {
  const names = await runSql(store, 'SELECT id, control_id FROM hl7_message');
  const nameOf = new Map(names.map((r) => [Number(r.id), String(r.control_id)]));
  return new Map((await processingRows(store)).map((r) => [nameOf.get(r.id) ?? '', r]));
}

async function until(store: Store, check: (rows: Map<string, ProcessingRow>) => boolean, what: string): Promise<Map<string, ProcessingRow>> {
  let last = new Map<string, ProcessingRow>();
  await waitUntil(async () => check((last = await rowsByName(store))), 20_000, what);
  return last;
}

const failing = (names: string[], result: (attempt: number) => SinkResult) => (event: SinkEvent, attempt: number): SinkResult =>
  names.includes(event.controlId ?? '') ? result(attempt) : { ok: true };

for (const engine of engines) {
  describe.skipIf(engine.name === 'mariadb' && !mariaDbReachable)(`processing failures on ${engine.name}`, () => {
    it('retries a transient failure with growing, jittered delays; the lane waits, other lanes do not', async () => {
      const b = await bench((await engine.config())!, { retry: { maxAttempts: 5, initialDelayMs: 40, maxDelayMs: 1_000 } });
      const times: number[] = [];
      b.sink.decide = (event, attempt) => {
        if (event.controlId !== 'A1') return { ok: true };
        times.push(performance.now());
        return attempt < 3 ? { ok: false, permanent: false, error: 'broker away' } : { ok: true };
      };
      try {
        await insert(b.store, 'p:a', ['A1', 'A2']);
        await insert(b.store, 'p:c', ['C1']);
        await b.engine.start();
        const rows = await until(b.store, (r) => r.get('A2')?.state === 'processed', 'A2 processed');
        expect(rows.get('A1')).toMatchObject({ state: 'processed', attempts: 3, error: null });
        expect(rows.get('C1')?.state).toBe('processed');
        // Attempt n waits initialDelay × 2^(n−1), at least half of it (jitter).
        expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(20 - 2);
        expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(40 - 2);
        const order = b.sink.seen.map((s) => s.controlId);
        expect(order.indexOf('C1')).toBeLessThan(order.lastIndexOf('A1'));
        expect(order.indexOf('A2')).toBeGreaterThan(order.lastIndexOf('A1'));
        // The observer (metrics) saw two retries, five deliveries of which two transient, three finished
        // (reported just after the outcome's commit, which the row read above may beat).
        await waitUntil(() => b.observed.finished.length >= 3, 5_000, 'three finished events reported');
        expect(b.observed.retrying).toEqual(['log', 'log']);
        expect(b.observed.delivered).toEqual({ ok: 3, transient: 2, permanent: 0 });
        expect(b.observed.finished).toEqual(['processed', 'processed', 'processed']);
      } finally {
        await b.close();
      }
    });

    it('fails after maxAttempts; with block the lane waits until the event is set back to received, then runs in order', async () => {
      const b = await bench((await engine.config())!, { onFailure: 'block', retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 20 } });
      b.sink.decide = failing(['A1'], () => ({ ok: false, permanent: false, error: 'timeout' }));
      try {
        await insert(b.store, 'p:a', ['A1', 'A2', 'A3']);
        await insert(b.store, 'p:c', ['C1']);
        await b.engine.start();
        let rows = await until(b.store, (r) => r.get('A1')?.state === 'failed' && r.get('C1')?.state === 'processed', 'A1 failed');
        expect(rows.get('A1')).toMatchObject({ attempts: 3, error: 'log: timeout (gave up after 3 attempts)' });
        expect(b.sink.seen.filter((s) => s.controlId === 'A1')).toHaveLength(3);
        // Blocked: a claim round later, A2 and A3 still wait and were never delivered.
        await insert(b.store, 'p:d', ['D1']);
        b.engine.wake();
        rows = await until(b.store, (r) => r.get('D1')?.state === 'processed', 'D1 processed');
        expect([rows.get('A2')?.state, rows.get('A3')?.state]).toEqual(['received', 'received']);
        expect(b.sink.seen.some((s) => s.controlId === 'A2')).toBe(false);
        // What POST /api/messages/:id/reprocess does: a plain UPDATE, nothing else.
        b.sink.decide = () => ({ ok: true });
        const a1 = rows.get('A1')!.id;
        await runSql(b.store, `UPDATE hl7_message SET processing_state = 'received', processing_attempts = 0, processing_error = NULL, next_attempt_at = NULL, processed_at = NULL WHERE id = ?`, [a1]);
        b.engine.wake();
        rows = await until(b.store, (r) => r.get('A3')?.state === 'processed', 'A3 processed');
        expect(rows.get('A1')).toMatchObject({ state: 'processed', attempts: 1 });
        const order = b.sink.seen.filter((s) => s.controlId?.startsWith('A')).map((s) => s.controlId);
        expect(order).toEqual(['A1', 'A1', 'A1', 'A1', 'A2', 'A3']);
      } finally {
        await b.close();
      }
    });

    it('with skip, a failed event is set aside and its lane goes on', async () => {
      const b = await bench((await engine.config())!, { onFailure: 'skip', retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 } });
      b.sink.decide = failing(['A1'], () => ({ ok: false, permanent: false, error: 'timeout' }));
      try {
        await insert(b.store, 'p:a', ['A1', 'A2']);
        await b.engine.start();
        const rows = await until(b.store, (r) => r.get('A2')?.state === 'processed', 'A2 processed');
        expect(rows.get('A1')).toMatchObject({ state: 'failed', attempts: 2 });
        const order = b.sink.seen.map((s) => s.controlId);
        expect(order).toEqual(['A1', 'A1', 'A2']);
      } finally {
        await b.close();
      }
    });

    it('a sink that is not ready (broker away): events wait without spending attempts, then run in order', async () => {
      const b = await bench((await engine.config())!, { retry: { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 20 } });
      let ready = false;
      let asked = 0;
      b.sink.ready = () => ((asked += 1), ready);
      try {
        await insert(b.store, 'p:a', ['A1', 'A2']);
        await b.engine.start();
        // Several polls pass with the sink away (each claim gives its events back untouched).
        await waitUntil(() => asked >= 3, 5_000, 'three claims given back');
        await insert(b.store, 'p:z', ['Z1']);
        let rows = await rowsByName(b.store);
        expect(['received', 'processing']).toContain(rows.get('A1')?.state);
        expect(rows.get('A1')?.attempts ?? 0).toBe(0);
        expect(b.sink.seen).toEqual([]);
        ready = true;
        rows = await until(b.store, (r) => r.get('A2')?.state === 'processed' && r.get('Z1')?.state === 'processed', 'all processed');
        expect(rows.get('A1')).toMatchObject({ state: 'processed', attempts: 1 });
        expect(b.sink.seen.map((s) => s.controlId).filter((c) => c?.startsWith('A'))).toEqual(['A1', 'A2']);
      } finally {
        await b.close();
      }
    });

    it('a permanent error fails the event at once, without retries; an event no route matches is skipped with the reason', async () => {
      const b = await bench((await engine.config())!, { onFailure: 'skip', retry: { maxAttempts: 5, initialDelayMs: 10, maxDelayMs: 20 } });
      b.sink.decide = failing(['A1'], () => ({ ok: false, permanent: true, error: 'PID-3 missing' }));
      try {
        await insert(b.store, 'p:a', ['A1', 'A2']);
        await insert(b.store, 'p:a', ['S1'], 'SIU');
        await b.engine.start();
        const rows = await until(b.store, (r) => r.get('S1')?.state === 'skipped' && r.get('A2')?.state === 'processed', 'all final');
        expect(rows.get('A1')).toMatchObject({ state: 'failed', attempts: 1, error: 'log: PID-3 missing' });
        expect(rows.get('S1')?.error).toMatch(/^no route matches SIU\^A01/);
        expect(b.sink.seen.filter((s) => s.controlId === 'A1')).toHaveLength(1);
      } finally {
        await b.close();
      }
    });
  });
}
