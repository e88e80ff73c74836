import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { startTestApp, type DeepPartial, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase, mariaDbReachable, type TestDatabase } from '../support/mariadb.ts';
import { connectClient } from '../support/mllp-test-bed.ts';
import { buildMessage } from '../support/messages.ts';
import { allFinal, createRecordingSink, processingRows, waitUntil, type Delivery } from '../support/processing.ts';

// Events of 1,000 patients, interleaved over 16 MLLP connections, through the whole service: the sink
// sees each patient's (sender's; everyone's) events in receive order (id order), each once.

const patients = 1000;
const perPatient = 3;
const senders = 5;
const connections = 16;

type Sent = { controlId: string; patient: number; sender: number };

/** Round-robin over patients, so a patient's events are spread over connections and time. */
function plan(): Sent[] {
  const sent: Sent[] = [];
  for (let round = 0; round < perPatient; round += 1) {
    for (let patient = 0; patient < patients; patient += 1) sent.push({ controlId: `O${round}-${patient}`, patient, sender: patient % senders });
  }
  return sent;
}

async function sendAll(port: number, sent: readonly Sent[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = await connectClient(port);
      for (let i = next++; i < sent.length; i = next++) {
        const s = sent[i]!;
        client.send(buildMessage({ controlId: s.controlId, patientId: `PAT-${s.patient}`, sendingApplication: `APP${s.sender}` }));
        expect(await client.nextReply()).toContain('MSA|AA');
      }
      client.socket.end();
    }),
  );
}

/** For each group, the ids in delivery order must increase. */
function outOfOrder(seen: readonly Delivery[], groupOf: (d: Delivery) => string): string[] {
  const last = new Map<string, number>();
  const problems: string[] = [];
  for (const d of seen) {
    const group = groupOf(d);
    const before = last.get(group) ?? 0;
    if (d.id <= before) problems.push(`${group}: ${d.id} after ${before}`);
    last.set(group, d.id);
  }
  return problems;
}

const engines: { name: string; db: () => Promise<TestDatabase | 'sqlite' | null> }[] = [
  { name: 'SQLite', db: async () => 'sqlite' },
  { name: 'MariaDB', db: () => createTestDatabase('proc_order') },
];
const dropped: TestDatabase[] = [];
afterAll(async () => {
  for (const db of dropped) await db.drop();
});

const groupBy: Record<string, (d: Delivery, byControlId: Map<string, Sent>) => string> = {
  'per-patient': (d, m) => `patient ${m.get(d.controlId ?? '')?.patient}`,
  'per-sender': (d, m) => `sender ${m.get(d.controlId ?? '')?.sender}`,
  sequential: () => 'all',
};

for (const engine of engines) {
  describe.skipIf(engine.name === 'MariaDB' && !mariaDbReachable)(`processing order on ${engine.name}`, () => {
    for (const ordering of ['per-patient', 'per-sender', 'sequential'] as const) {
      it(`${ordering}: every event once, in receive order within its ${ordering === 'sequential' ? 'one lane' : 'key'}`, async () => {
        const db = await engine.db();
        if (db === null) return;
        if (db !== 'sqlite') dropped.push(db);
        const sink = createRecordingSink('log');
        const overrides: DeepPartial<Config> = { processing: { ordering, concurrency: 8, batchSize: 50, routes: [{ match: {}, sinks: ['log'] }] } };
        let app: TestApp | undefined;
        try {
          app = await startTestApp(db === 'sqlite' ? 'sqlite' : db.config, overrides, { sinkFactories: { log: () => sink } });
          const sent = plan();
          await sendAll(app.port, sent);
          await sink.waitForIds(sent.length);
          const store = app.app.store!;
          await waitUntil(() => allFinal(store), 30_000, 'all events final');
          const byControlId = new Map(sent.map((s) => [s.controlId, s]));
          expect(outOfOrder(sink.seen, (d) => groupBy[ordering]!(d, byControlId))).toEqual([]);
          expect(sink.seen.length).toBe(sent.length);
          const rows = await processingRows(store);
          expect(rows.filter((r) => r.state === 'processed').length).toBe(sent.length);
          // Lanes are digests, never the patient id (a final event has left its lane: key NULL).
          expect(sink.seen.filter((d) => !/^(?:[ps]:[0-9a-f]{64}|sequential)$/.test(d.orderingKey))).toEqual([]);
          expect(rows.filter((r) => r.orderingKey !== null)).toEqual([]);
        } finally {
          await app?.close();
        }
      }, 120_000);
    }
  });
}
