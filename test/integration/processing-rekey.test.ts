import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { processingSchema } from '../../src/config/schema.ts';
import { createStepRunner } from '../../src/processing/claim-store.ts';
import { ProcessingEngine } from '../../src/processing/engine.ts';
import { orderingKeyFor, type OrderingMode } from '../../src/processing/ordering-key.ts';
import { createStore } from '../../src/store/create-store.ts';
import type { Store } from '../../src/store/store.ts';
import { mariaDbReachable } from '../support/mariadb.ts';
import { allFinal, createRecordingSink, engineDatabases, runSql, waitUntil } from '../support/processing.ts';
import { newRow } from '../support/rows.ts';

// processing.ordering changed between restarts: at start-up every event that still waits (here:
// failed once, retry far away) is keyed for the new mode, so the new lanes hold them.

const sqliteDir = mkdtempSync(join(tmpdir(), 'hl7-proc-rekey-'));
const databases = engineDatabases(sqliteDir, 'proc_rekey');
const engines = databases.engines;
afterAll(async () => {
  await databases.drop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

type KeyRow = { id: number; key: string | null; patient: string | null; app: string | null; fac: string | null };

async function keys(store: Store): Promise<KeyRow[]> {
  const rows = await runSql(store, 'SELECT id, ordering_key, patient_id, sending_application, sending_facility FROM hl7_message ORDER BY id');
  return rows.map((r) => ({ id: Number(r.id), key: r.ordering_key as string | null, patient: r.patient_id as string | null, app: r.sending_application as string | null, fac: r.sending_facility as string | null }));
}

async function runEngine(store: Store, ordering: OrderingMode, untilAttempted: number): Promise<void> {
  const sink = createRecordingSink('log');
  sink.decide = () => ({ ok: false, permanent: false, error: 'down' });
  const config = processingSchema.parse({ ordering, pollIntervalMs: 20, retry: { maxAttempts: 5, initialDelayMs: 600_000, maxDelayMs: 600_000 }, routes: [{ match: {}, sinks: ['log'] }] });
  const engine = new ProcessingEngine({ config, runner: createStepRunner(store.handle!, 2), sinks: new Map([['log', sink]]), log: pino({ level: 'silent' }), drainTimeoutMs: 1_000 });
  await engine.start();
  try {
    await waitUntil(async () => Number((await runSql(store, 'SELECT COUNT(*) AS n FROM hl7_message WHERE processing_attempts = 1'))[0]?.n) >= untilAttempted, 20_000, 'first attempts');
  } finally {
    await engine.close();
  }
}

for (const engine of engines) {
  describe.skipIf(engine.name === 'mariadb' && !mariaDbReachable)(`re-keying on ${engine.name}`, () => {
    it('keys waiting events for the ordering configured at each start', async () => {
      const store = await createStore((await engine.config())!);
      try {
        const rows = [];
        for (let i = 0; i < 12; i += 1) {
          const row = newRow({ controlId: `R${i}`, dedupKey: `r-${i}`, patientId: i % 3 === 0 ? null : `PAT-${i % 4}`, patientAuthority: null, sendingApplication: `APP${i % 2}`, processingState: 'received' });
          rows.push({ ...row, orderingKey: orderingKeyFor('per-patient', row) });
        }
        await store.insertMessages(rows);
        await runEngine(store, 'per-patient', 1);
        for (const mode of ['per-sender', 'sequential', 'parallel', 'per-patient'] as const) {
          await runEngine(store, mode, 1);
          const expected = (await keys(store)).map((r) => orderingKeyFor(mode, { patientId: r.patient, patientAuthority: null, sendingApplication: r.app, sendingFacility: r.fac }));
          expect((await keys(store)).map((r) => r.key), mode).toEqual(expected);
        }
        const distinct = new Set((await keys(store)).map((r) => r.key));
        // Four patients, plus two sender lanes for the rows without a patient id.
        expect(distinct.size).toBe(6);
      } finally {
        await store.close();
      }
    });

    it('events a dead instance left processing are taken over in their new lane after a re-key', async () => {
      const store = await createStore((await engine.config())!);
      try {
        const rows = [];
        for (let i = 0; i < 6; i += 1) {
          const row = newRow({ controlId: `D${i}`, dedupKey: `d-${i}`, patientId: `PAT-${i % 2}`, patientAuthority: null, sendingApplication: 'APP', processingState: i < 2 ? 'processing' : 'received' });
          rows.push({ ...row, orderingKey: orderingKeyFor('per-patient', row) });
        }
        await store.insertMessages(rows);
        // A dead holder's claim: token set, lease (next_attempt_at) long gone, no lane row.
        const past = store.handle!.engine === 'sqlite' ? "'2020-01-01T00:00:00.000Z'" : "'2020-01-01 00:00:00.000'";
        await runSql(store, `UPDATE hl7_message SET processing_owner = 'dead:1', next_attempt_at = ${past} WHERE processing_state = 'processing'`);
        await runSql(store, `INSERT INTO processing_setting (name, value) VALUES ('ordering', 'per-patient')`);
        const sink = createRecordingSink('log');
        const config = processingSchema.parse({ ordering: 'per-sender', pollIntervalMs: 20, routes: [{ match: {}, sinks: ['log'] }] });
        const engine2 = new ProcessingEngine({ config, runner: createStepRunner(store.handle!, 2), sinks: new Map([['log', sink]]), log: pino({ level: 'silent' }), drainTimeoutMs: 1_000 });
        await engine2.start();
        try {
          await sink.waitForIds(6, 20_000);
          await waitUntil(() => allFinal(store), 20_000, 'all final');
          // One sender lane now: the taken-over events first, in id order.
          expect(sink.seen.map((d) => d.controlId)).toEqual(['D0', 'D1', 'D2', 'D3', 'D4', 'D5']);
        } finally {
          await engine2.close();
        }
      } finally {
        await store.close();
      }
    });
  });
}
