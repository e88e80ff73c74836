import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirResource, Projection } from '../../src/fhir/projection.ts';
import { fhirEngines, openFhirStore, type FhirStoreBed } from '../support/fhir-stores.ts';
import { newRow, withFreshKey } from '../support/rows.ts';

// fhir_history.message_id (migration 0005) on both engines: each version records the message that
// wrote it; a write that changed nothing records nothing; the patient timeline finds the messages of
// a compartment (merged patients included), newest first, bounded, without deleted messages.

const patient = (id: string, family: string, extra: Record<string, unknown> = {}): FhirResource => ({ resourceType: 'Patient', id, name: [{ family }], ...extra });
const observation = (id: string, subject: string, value: number): FhirResource => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: 'glucose' },
  subject: { reference: `Patient/${subject}` },
  valueQuantity: { value },
});
const upserts = (eventTime: string, messageId: number | undefined, ...resources: FhirResource[]): Projection => ({
  eventTime,
  writes: resources.map((resource) => ({ op: 'upsert', resource })),
  ...(messageId === undefined ? {} : { messageId }),
});

describe.each(fhirEngines)('resource versions and their messages on %s', (engine) => {
  let bed: FhirStoreBed;
  const messages: number[] = [];

  beforeAll(async () => {
    bed = await openFhirStore(engine, 'fhir_written');
    for (let n = 0; n < 6; n++) {
      const inserted = await bed.store.insertMessage(withFreshKey(newRow({ controlId: `W-${n}`, messageType: 'ADT', triggerEvent: 'A08', processingState: 'processed' })));
      if (!inserted.inserted) throw new Error('not inserted');
      messages.push(inserted.id);
    }
    const [m0, m1, m2, m3, m4, m5] = messages as [number, number, number, number, number, number];
    await bed.fhir.applyAll([
      upserts('2026-01-01T00:00:00Z', m0, patient('pa', 'A'), observation('o1', 'pa', 1)),
      // Changes nothing: no version, so no trace of m1.
      upserts('2026-01-02T00:00:00Z', m1, patient('pa', 'A')),
      upserts('2026-01-03T00:00:00Z', m2, patient('pa', 'A2'), observation('o1', 'pa', 2)),
      upserts('2026-01-04T00:00:00Z', m3, patient('pb', 'B'), observation('o2', 'pb', 3)),
      // pb merged into pa.
      upserts('2026-01-05T00:00:00Z', m4, patient('pb', 'B', { active: false, link: [{ type: 'replaced-by', other: { reference: 'Patient/pa' } }] })),
      upserts('2026-01-06T00:00:00Z', m5, patient('pc', 'C')),
      // A writer with no message (another caller of the store).
      upserts('2026-01-07T00:00:00Z', undefined, patient('pa', 'A3')),
    ]);
  });
  afterAll(() => bed?.close());

  it('lists the versions one message wrote, and none for a write that changed nothing', async () => {
    const [m0, m1] = messages;
    const written = await bed.fhir.writtenBy([m0 ?? 0]);
    expect(written.map(({ resourceType, id, version }) => `${resourceType}/${id}/${version}`)).toEqual(['Observation/o1/1', 'Patient/pa/1']);
    expect(written.every((w) => w.messageId === m0 && w.lastUpdated === '2026-01-01T00:00:00.000Z')).toBe(true);
    expect(await bed.fhir.writtenBy([m1 ?? 0])).toEqual([]);
    expect(await bed.fhir.writtenBy([])).toEqual([]);
  });

  it("builds a patient's timeline from its compartment and the patients merged into it, newest first", async () => {
    const [m0, , m2, m3, m4] = messages;
    const timeline = await bed.fhir.timeline(await bed.fhir.withMerged('pa'), 200);
    expect(timeline.map((m) => m.messageId)).toEqual([m4, m3, m2, m0]);
    expect(timeline[0]).toMatchObject({ messageType: 'ADT', triggerEvent: 'A08', ackCode: 'AA', processingState: 'processed' });
    expect(timeline[0]?.receivedAt).toBeInstanceOf(Date);
    expect(timeline[2]?.resources.map((r) => `${r.resourceType}/${r.id}/${r.version}`)).toEqual(['Observation/o1/2', 'Patient/pa/2']);
    // Only pb's own compartment: pa's messages are not in it.
    expect((await bed.fhir.timeline(['pb'], 200)).map((m) => m.messageId)).toEqual([m4, m3]);
  });

  it('keeps the newest messages when there are more than the limit', async () => {
    const [, , m2, m3, m4] = messages;
    expect((await bed.fhir.timeline(['pa', 'pb'], 3)).map((m) => m.messageId)).toEqual([m4, m3, m2]);
  });

  it('leaves out messages that are no longer stored', async () => {
    const [m0] = messages;
    const removed = await bed.store.deleteExpired({ acceptedBefore: new Date('2100-01-01'), rejectedBefore: null, limit: 1 });
    expect(removed).toBe(1);
    const ids = (await bed.fhir.timeline(['pa', 'pb'], 200)).map((m) => m.messageId);
    expect(ids).not.toContain(m0);
    expect(ids).toHaveLength(3);
  });
});
