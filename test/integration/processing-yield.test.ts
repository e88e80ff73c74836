import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { processingSchema } from '../../src/config/schema.ts';
import { createStepRunner } from '../../src/processing/claim-store.ts';
import { ProcessingEngine } from '../../src/processing/engine.ts';
import { silentObserver } from '../../src/processing/observer.ts';
import { yieldingClaim } from '../../src/processing/lane-budget.ts';
import { orderingKeyFor } from '../../src/processing/ordering-key.ts';
import type { Sink } from '../../src/processing/sink.ts';
import { createStore } from '../../src/store/create-store.ts';
import { mariaDbReachable } from '../support/mariadb.ts';
import { allFinal, createRecordingSink, engineDatabases, processingRows, waitUntil } from '../support/processing.ts';
import { newRow } from '../support/rows.ts';

// Processing yields to saturated ingest (src/processing/ingest-yield.ts): while the store's commits
// are busy, claims are small and rested between, yet every event is still processed.
// The ingest load is the store's reading (Store.commitBusyShare), given here as a fixed value.

const sqliteDir = mkdtempSync(join(tmpdir(), 'hl7-proc-yield-'));
const databases = engineDatabases(sqliteDir, 'proc_yield');
afterAll(async () => {
  await databases.drop();
  rmSync(sqliteDir, { recursive: true, force: true });
});

const events = 450;
/** One event per patient: each claim is then one sink call (one round of its lanes, deliver.ts). */
const patients = events;

for (const engine of databases.engines) {
  describe.skipIf(engine.name === 'mariadb' && !mariaDbReachable)(`yielding to ingest on ${engine.name}`, () => {
    const cases = [
      { name: 'saturated ingest: claims of at most 100 with rests between, every event still processed', busy: 1, waitedMs: 0, small: true },
      { name: 'quiet ingest: claims of batchSize', busy: 0, waitedMs: 0, small: false },
      // Yielding never ages the backlog past processing.maxLagSeconds (60 s here).
      { name: 'saturated ingest, but the backlog waited longer than maxLagSeconds: no yielding', busy: 1, waitedMs: 3_600_000, small: false },
    ];
    it.each(cases)('$name', async ({ busy, waitedMs, small }) => {
      const store = await createStore((await engine.config())!);
      try {
        await store.insertMessages(
          Array.from({ length: events }, (_, i) => {
            const tag = `${busy}-${waitedMs}-${i}`;
            const row = newRow({ controlId: `Y${tag}`, dedupKey: `y${tag}`, patientId: `PAT-${i % patients}`, patientAuthority: null, processingState: 'received', receivedAt: new Date(Date.now() - waitedMs) });
            return { ...row, orderingKey: orderingKeyFor('per-patient', row) };
          }),
        );
        const recording = createRecordingSink('log');
        const calls: number[] = [];
        const sink: Sink = { ...recording, deliver: (batch) => (calls.push(batch.length), recording.deliver(batch)) };
        const config = processingSchema.parse({ ordering: 'per-patient', batchSize: 500, pollIntervalMs: 20, shareWhileIngestBusy: 0.5, maxLagSeconds: 60, routes: [{ match: {}, sinks: ['log'] }] });
        let yieldedSeconds = 0;
        const observer = { ...silentObserver, yielded: (seconds: number) => void (yieldedSeconds += seconds) };
        const processing = new ProcessingEngine({
          observer,
          config,
          runner: createStepRunner(store.handle!, 4),
          sinks: new Map([['log', sink]]),
          log: pino({ level: 'silent' }),
          drainTimeoutMs: 1_000,
          ingestBusyShare: () => busy,
        });
        await processing.start();
        try {
          await recording.waitForIds(events, 30_000);
          await waitUntil(() => allFinal(store), 10_000, 'every event final');
        } finally {
          await processing.close();
        }
        if (small) expect(Math.max(...calls)).toBeLessThanOrEqual(yieldingClaim);
        else expect(Math.max(...calls)).toBeGreaterThan(yieldingClaim);
        // Saturated: every claim after the first waited (reported for the metric); quiet: none did.
        if (small) expect(yieldedSeconds).toBeGreaterThan(0);
        else expect(yieldedSeconds).toBe(0);
        const rows = await processingRows(store);
        expect(rows.filter((r) => r.state !== 'processed')).toEqual([]);
        expect(new Set(recording.seen.map((d) => d.id)).size).toBe(events);
      } finally {
        await store.close();
      }
    });
  });
}
