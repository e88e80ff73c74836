import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.ts';
import { encounterId, patientId } from '../../src/fhir/ids.ts';
import { createFhirStore, type FhirStore } from '../../src/fhir/store/fhir-store.ts';
import { startTestApp, type DeepPartial, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase, mariaDbReachable, type TestDatabase } from '../support/mariadb.ts';
import { connectClient } from '../support/mllp-test-bed.ts';
import { buildMessage } from '../support/messages.ts';
import { allFinal, processingRows, waitUntil } from '../support/processing.ts';

// Issue 11: A01 → A08 → A03 per patient, then A40 merging every second patient into the one before,
// sent over MLLP to the whole service (engine + fhir sink + FHIR store), in each ordering mode. The
// final FHIR state is the one the events describe: the newest name, the visit finished with its end,
// the merged patient inactive and linked both ways. In `parallel` the events may take effect in any
// order; the events' own times (EVN-2) decide which write wins.

const patients = 6;
const authority = 'HOSP';
const orderings = ['sequential', 'per-patient', 'per-sender', 'parallel'] as const;

const mrn = (p: number): string => `SEQ-${p}`;
const visit = (p: number): string => `V-${p}`;
/** EVN-2 / MSH-7 of a patient's n-th event: later events are later in time, whatever the order they arrive in. */
const at = (step: number, p: number): string => `2026011${step}10${String(p).padStart(2, '0')}00`;

function pv1(p: number, extra: { admit?: string; discharge?: string } = {}): string {
  const fields = Array.from({ length: 46 }, () => '');
  fields[0] = 'PV1';
  fields[1] = '1';
  fields[2] = 'I';
  fields[3] = 'WARD^1^1';
  fields[19] = `${visit(p)}^^^${authority}`;
  fields[44] = extra.admit ?? '';
  fields[45] = extra.discharge ?? '';
  return fields.join('|').replace(/\|+$/, '');
}

const pid = (p: number, given: string): string => `PID|1||${mrn(p)}^^^${authority}^MR||FAMILY${p}^${given}||19800101|F`;

function adt(event: string, step: number, p: number, body: string[]): string {
  return buildMessage({ type: 'ADT', event, controlId: `${event}-${step}-${p}`, timestamp: at(step, p), body: [`EVN|${event}|${at(step, p)}`, ...body] });
}

/** Every patient's A01, A08, A03 (interleaved across patients), then the merges. */
function events(): string[] {
  const list: string[] = [];
  for (let p = 0; p < patients; p += 1) list.push(adt('A01', 1, p, [pid(p, 'Old'), pv1(p, { admit: at(1, p) })]));
  for (let p = 0; p < patients; p += 1) list.push(adt('A08', 2, p, [pid(p, 'New'), pv1(p, { admit: at(1, p) })]));
  for (let p = 0; p < patients; p += 1) list.push(adt('A03', 3, p, [pid(p, 'New'), pv1(p, { admit: at(1, p), discharge: at(3, p) })]));
  for (let p = 0; p < patients; p += 2) {
    list.push(adt('A40', 4, p, [pid(p, 'New'), `MRG|${mrn(p + 1)}^^^${authority}^MR`]));
  }
  return list;
}

const dropped: TestDatabase[] = [];
afterAll(async () => {
  for (const db of dropped) await db.drop();
});

const engines = mariaDbReachable ? (['sqlite', 'mariadb'] as const) : (['sqlite'] as const);

// Sent in time order, and in reverse (an engine replaying a backlog newest first): same final state.
const cases = orderings.flatMap((ordering) => [
  { ordering, arrival: 'in time order' as const },
  { ordering, arrival: 'newest first' as const },
]);

describe.each(engines)('A01 → A08 → A03 → A40 through the service on %s', (engine) => {
  it.each(cases)('$ordering, sent $arrival: the final FHIR state is the one the events describe', async ({ ordering, arrival }) => {
    const db = engine === 'mariadb' ? await createTestDatabase('p360_seq') : 'sqlite';
    if (db === null) return;
    if (db !== 'sqlite') dropped.push(db);
    const overrides: DeepPartial<Config> = { processing: { ordering, concurrency: 4, routes: [{ match: {}, sinks: ['fhir'] }] } };
    let t: TestApp | undefined;
    try {
      t = await startTestApp(db === 'sqlite' ? 'sqlite' : db.config, overrides);
      const client = await connectClient(t.port);
      const sent = arrival === 'in time order' ? events() : events().reverse();
      for (const message of sent) {
        client.send(message);
        expect(await client.nextReply()).toContain('MSA|AA');
      }
      client.socket.end();
      const store = t.app.store!;
      await waitUntil(() => allFinal(store), 60_000, 'every event final');
      const rows = await processingRows(store);
      expect(rows.filter((r) => r.state !== 'processed').map((r) => `${r.id}: ${r.state} ${r.error}`)).toEqual([]);
      expect(rows).toHaveLength(sent.length);

      const fhir: FhirStore = createFhirStore(store.handle!);
      for (let p = 0; p < patients; p += 1) {
        const id = patientId(mrn(p), authority);
        const patient = (await fhir.read('Patient', id))?.resource as Record<string, unknown> | undefined;
        expect(patient, `patient ${p}`).toBeDefined();
        const survivor = p % 2 === 0;
        const other = patientId(mrn(survivor ? p + 1 : p - 1), authority);
        expect(patient?.link).toEqual([{ type: survivor ? 'replaces' : 'replaced-by', other: { reference: `Patient/${other}` } }]);
        if (survivor) {
          expect(patient?.active).not.toBe(false);
          expect(patient?.name).toEqual([expect.objectContaining({ family: `FAMILY${p}`, given: ['New'] })]);
        } else {
          expect(patient?.active).toBe(false);
        }
        const encounter = (await fhir.read('Encounter', encounterId(visit(p), authority)))?.resource as Record<string, unknown> | undefined;
        expect(encounter?.status, `encounter of patient ${p}`).toBe('finished');
        expect((encounter?.period as { end?: string } | undefined)?.end).toMatch(/^2026-01-13T10:/);
        expect(encounter?.subject).toEqual({ reference: `Patient/${id}` });
      }
      // The merged patient's records are found from the survivor.
      const survivor = patientId(mrn(0), authority);
      expect(await fhir.withMerged(survivor)).toEqual([survivor, patientId(mrn(1), authority)]);
    } finally {
      await t?.close();
    }
  });
});
