import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageResourcesSchema, messageTreeSchema, overviewViewSchema, patientTimelineSchema, type OverviewView } from '../../src/console/api.ts';
import type { DbConfig } from '../../src/config/schema.ts';
import { patientId } from '../../src/fhir/ids.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { allFinal, waitUntil } from '../support/processing.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// The operations console's data endpoints on the service as production builds it (processing on,
// the fhir sink writing the FHIR store), on each engine: the message tree and raw download, the
// FHIR versions a message wrote, a patient's timeline (merged patients included), the overview.

const mariadb = await createTestDatabase('console_data');
const engines: [string, DbConfig | 'sqlite'][] = [['sqlite', 'sqlite'], ...(mariadb ? [['mariadb', mariadb.config] as [string, DbConfig]] : [])];
afterAll(async () => {
  await mariadb?.drop();
});

const authority = 'HOSP';
const pid = (mrn: string, family: string): string => `PID|1||${mrn}^^^${authority}^MR||${family}^ALPHA||19800101|F`;
const adt = (event: string, controlId: string, time: string, body: string[]): string =>
  buildMessage({ type: 'ADT', event, controlId, timestamp: time, body: [`EVN|${event}|${time}`, ...body] });

describe.each(engines)('console data endpoints on %s', (_engine, db) => {
  let t: ApiApp;
  /** Message ids by control id. */
  const ids = new Map<string, number>();
  const idOf = (controlId: string): number => {
    const id = ids.get(controlId);
    if (id === undefined) throw new Error(`no message ${controlId}`);
    return id;
  };

  beforeAll(async () => {
    // The timer stays out of the way: the overview test samples by hand.
    t = await startApiApp(db, {}, { overviewIntervalMs: 3_600_000 });
    const mllp = await t.openMllp();
    const sent: [string, string][] = [
      ['A01-P1', adt('A01', 'A01-P1', '20260110100000', [pid('MRN1', 'ONE\\S\\TWO'), 'PV1|1|I|WARD^1^1'])],
      ['ORU-P1', buildMessage({ type: 'ORU', event: 'R01', controlId: 'ORU-P1', patientId: 'MRN1', timestamp: '20260111100000' })],
      ['A01-P2', adt('A01', 'A01-P2', '20260112100000', [pid('MRN2', 'OTHER')])],
      ['A01-P3', adt('A01', 'A01-P3', '20260112110000', [pid('MRN3', 'UNRELATED')])],
      ['A40-P1', adt('A40', 'A40-P1', '20260113100000', [pid('MRN1', 'ONE\\S\\TWO'), `MRG|MRN2^^^${authority}^MR`])],
    ];
    for (const [, message] of sent) expect((await mllp.sendAndRead(message)).code).toBe('AA');
    mllp.end();
    const store = t.app.store!;
    await waitUntil(() => allFinal(store), 60_000, 'every event processed');
    for (const row of await store.listMessages({ limit: 100 })) if (row.controlId !== null) ids.set(row.controlId, row.id);
  });
  afterAll(async () => {
    await t?.stop();
  });

  describe('GET /api/messages/:id/tree', () => {
    it('answers the tree with v2.5.1 names, escapes decoded', async () => {
      const answer = await t.get(`/api/messages/${idOf('A01-P1')}/tree`);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      const tree = messageTreeSchema.parse(answer.json());
      expect(tree.id).toBe(idOf('A01-P1'));
      expect(tree.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1']);
      const msh10 = tree.segments[0]?.fields.find((f) => f.id === 'MSH-10');
      expect(msh10).toMatchObject({ name: 'Message Control ID', repetitions: [{ text: 'A01-P1' }] });
      const pid5 = tree.segments[2]?.fields.find((f) => f.id === 'PID-5');
      expect(pid5?.name).toBe('Patient Name');
      expect(pid5?.repetitions[0]?.components[0]).toMatchObject({ id: 'PID-5.1', name: 'Family Name', text: 'ONE^TWO' });
    });

    it.each([
      ['an unknown id', '/api/messages/999999/tree', 404],
      ['an id that is not a number', '/api/messages/abc/tree', 400],
    ])('refuses %s with problem JSON', async (_what, path, status) => {
      const answer = await t.get(path);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    });

    it('needs a key with the read role', async () => {
      expect((await t.get(`/api/messages/${idOf('A01-P1')}/tree`, null)).status).toBe(401);
      expect((await t.get(`/api/messages/${idOf('A01-P1')}/tree`, t.keys.ingest)).status).toBe(403);
    });
  });

  describe('GET /api/messages/:id/raw', () => {
    it('answers the exact bytes as received, as a download, with the charset recorded', async () => {
      const bytes = iconv.encode(buildMessage({ controlId: 'RAW-1', msh18: '8859/1', patientId: 'MRN9', note: 'Müller' }), 'latin1');
      const mllp = await t.openMllp();
      expect((await mllp.sendAndRead(bytes)).code).toBe('AA');
      mllp.end();
      const row = (await t.app.store!.listMessages({ controlId: 'RAW-1' }))[0];
      const answer = await t.get(`/api/messages/${row?.id}/raw`);
      expect(answer.status).toBe(200);
      expect(answer.body.equals(bytes)).toBe(true);
      expect(answer.headers['content-type']).toBe('x-application/hl7-v2+er7; charset=ISO-8859-1');
      expect(answer.headers['content-disposition']).toBe(`attachment; filename="message-${row?.id}.hl7"`);
      expect(answer.headers['cache-control']).toBe('no-store');
    });

    it('answers 404 for an unknown id', async () => {
      expect((await t.get('/api/messages/999999/raw')).status).toBe(404);
    });
  });

  describe('GET /api/messages/:id/fhir', () => {
    it('lists the resource versions the message wrote', async () => {
      const answer = await t.get(`/api/messages/${idOf('A01-P1')}/fhir`);
      expect(answer.status, answer.text).toBe(200);
      const body = messageResourcesSchema.parse(answer.json());
      expect(body.id).toBe(idOf('A01-P1'));
      const p1 = patientId('MRN1', authority);
      expect(body.resources).toEqual([{ resourceType: 'Patient', id: p1, version: 1, lastUpdated: expect.any(String) }]);
      expect(Number.isNaN(Date.parse(body.resources[0]?.lastUpdated ?? ''))).toBe(false);
      // An ORU writes the observation (and the order) beside the patient.
      const oru = messageResourcesSchema.parse((await t.get(`/api/messages/${idOf('ORU-P1')}/fhir`)).json());
      expect(oru.resources.map((r) => r.resourceType)).toContain('Observation');
    });

    it('answers an empty list for a message that wrote nothing, 404 for an unknown one', async () => {
      const mllp = await t.openMllp();
      // Refused (no PID): stored, never processed.
      expect((await mllp.sendAndRead(buildMessage({ controlId: 'BAD-1', body: ['EVN|A01|20260115103000'] }))).code).toBe('AE');
      mllp.end();
      const row = (await t.app.store!.listMessages({ controlId: 'BAD-1' }))[0];
      const answer = await t.get(`/api/messages/${row?.id}/fhir`);
      expect(answer.json()).toEqual({ id: row?.id, resources: [] });
      expect((await t.get('/api/messages/999999/fhir')).status).toBe(404);
    });
  });

  describe('GET /api/console/patients/:id/timeline', () => {
    it("lists the messages that wrote the patient's view, merged patients included, newest first", async () => {
      const p1 = patientId('MRN1', authority);
      const answer = await t.get(`/api/console/patients/${p1}/timeline`);
      expect(answer.status, answer.text).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      const timeline = patientTimelineSchema.parse(answer.json());
      expect(timeline.patientId).toBe(p1);
      expect(timeline.events.map((e) => e.messageId)).toEqual(['A40-P1', 'A01-P2', 'ORU-P1', 'A01-P1'].map(idOf));
      const a40 = timeline.events[0];
      expect(a40).toMatchObject({ type: 'ADT', event: 'A40', ackCode: 'AA', processingState: 'processed' });
      // The A40 wrote both patients (the survivor links, the merged one becomes inactive).
      expect(a40?.resources.map((r) => `${r.resourceType}/${r.id}`).sort()).toEqual([`Patient/${p1}`, `Patient/${patientId('MRN2', authority)}`].sort());
      const oru = timeline.events.find((e) => e.messageId === idOf('ORU-P1'));
      expect(oru?.resources.map((r) => r.resourceType)).toContain('Observation');
      expect(Date.parse(a40?.receivedAt ?? '')).toBeGreaterThan(0);
    });

    it.each([
      ['an unknown patient', '/api/console/patients/no-such-patient/timeline', 404],
      ['an id that cannot be a FHIR id', '/api/console/patients/a_b/timeline', 400],
    ])('refuses %s', async (_what, path, status) => {
      expect((await t.get(path)).status).toBe(status);
    });
  });

  describe('GET /api/console/overview', () => {
    const overview = async (): Promise<OverviewView> => {
      const answer = await t.get('/api/console/overview');
      expect(answer.status, answer.text).toBe(200);
      return overviewViewSchema.parse(answer.json());
    };

    it('moves receivedPerSecond, byType and byAck after a sample that follows new messages', async () => {
      await t.app.overview.sample();
      const before = await overview();
      const mllp = await t.openMllp();
      for (const n of [1, 2]) expect((await mllp.sendAndRead(buildMessage({ controlId: `OV-${n}`, patientId: 'MRN7' }))).code).toBe('AA');
      expect((await mllp.sendAndRead(buildMessage({ controlId: 'OV-BAD', body: ['EVN|A01|20260115103000'] }))).code).toBe('AE');
      expect((await t.post(buildMessage({ controlId: 'OV-3', type: 'ORU', event: 'R01', patientId: 'MRN7' }))).status).toBe(200);
      mllp.end();
      await t.app.overview.sample();
      const after = await overview();
      expect(after.series.t.length).toBe(before.series.t.length + 1);
      expect(after.series.receivedPerSecond.at(-1)).toBeGreaterThan(0);
      expect(after.series.byType.ADT?.at(-1)).toBeGreaterThan(0);
      expect(after.series.byType.ORU?.at(-1)).toBeGreaterThan(0);
      expect(after.series.byAck.AA?.at(-1)).toBeGreaterThan(0);
      expect(after.series.byAck.AE?.at(-1)).toBeGreaterThan(0);
      expect(after.series.refusedPerSecond.at(-1)).toBeGreaterThan(0);
      expect(after.totals.received - before.totals.received).toBe(4);
      expect((after.totals.byAck.AE ?? 0) - (before.totals.byAck.AE ?? 0)).toBe(1);
      expect(after.series.openConnections.https.at(-1)).toBeGreaterThanOrEqual(0);
      expect(after.store.state).toBe('up');
      expect(after.processing.state).toMatch(/^(up|degraded)$/);
      expect(after.intervalSeconds).toBe(3600);
    });

    it('needs a key with the read role', async () => {
      expect((await t.get('/api/console/overview', null)).status).toBe(401);
    });
  });
});
