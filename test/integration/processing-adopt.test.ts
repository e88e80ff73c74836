import { afterAll, describe, expect, it } from 'vitest';
import type { DbConfig } from '../../src/config/schema.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { allFinal, processingRows, runSql, waitUntil } from '../support/processing.ts';
import { startApiApp } from './api-setup.ts';

// Rows stored before processing existed have no state and no lane (ordering_key NULL). An operator
// takes them in with POST /api/processing/retry {"processingState":"none"} (or reprocesses one): the
// running engine must give them a lane and process them then, not at its next restart.

const mariadb = await createTestDatabase('proc_adopt');
const engines: [string, DbConfig | 'sqlite'][] = [['sqlite', 'sqlite'], ...(mariadb ? [['mariadb', mariadb.config] as [string, DbConfig]] : [])];
afterAll(async () => {
  await mariadb?.drop();
});

describe.each(engines)('events stored before processing, taken in while the engine runs, on %s', (_name, db) => {
  it('are keyed and processed at once after a retry or a reprocess', async () => {
    const t = await startApiApp(db, { processing: { routes: [{ match: {}, sinks: ['log'] }] } });
    try {
      const mllp = await t.openMllp();
      for (const controlId of ['OLD-1', 'OLD-2', 'OLD-3']) expect((await mllp.sendAndRead(buildMessage({ controlId, patientId: `P-${controlId}` }))).code).toBe('AA');
      mllp.end();
      const store = t.app.store!;
      await waitUntil(() => allFinal(store), 30_000, 'the new events processed');
      // As a release before processing left them.
      await runSql(store, 'UPDATE hl7_message SET processing_state = NULL, processing_attempts = NULL, processed_at = NULL, ordering_key = NULL');
      const [first] = await processingRows(store);
      expect((await t.postJson(`/api/messages/${first!.id}/reprocess`)).status).toBe(202);
      expect((await t.postJson('/api/processing/retry', { processingState: 'none' })).json()).toEqual({ retried: 2 });
      await waitUntil(async () => (await processingRows(store)).every((r) => r.state === 'processed'), 30_000, 'the old rows processed');
      // Only keyed events are claimed: keyed, processed, and out of their lane again.
      const rows = await processingRows(store);
      expect(rows.map((r) => [r.attempts, r.orderingKey])).toEqual([[1, null], [1, null], [1, null]]);
    } finally {
      await t.stop();
    }
  });
});
