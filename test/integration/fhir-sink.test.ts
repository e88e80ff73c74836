import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import type { MapOptions, MapResult } from '../../src/fhir/projection.ts';
import { createFhirSink, type MapMessage } from '../../src/processing/sinks/fhir.ts';
import type { SinkEvent } from '../../src/processing/sink.ts';
import { fhirEngines, openFhirStore, type FhirStoreBed } from '../support/fhir-stores.ts';

// The fhir sink with a fake mapping (the real one is src/fhir/map): decoding by charset, permanent
// failures for unmappable messages, the applied projection, the transaction Bundle for later sinks.

const options: MapOptions = { defaultTimeZone: 'UTC', identifierSystems: {} };
const silent = { warn: () => undefined, debug: () => undefined };

/** A fake map: `MSH|...` whose last field is `<patient id>^<family>^<event time>`, or `FAIL`. */
const fakeMap: MapMessage = (raw): MapResult => {
  const last = raw.split('|').at(-1) ?? '';
  if (last === 'FAIL') return { ok: false, error: 'PID-3 missing' };
  const [id = '', family = '', eventTime = ''] = last.split('^');
  return {
    ok: true,
    projection: {
      eventTime,
      writes: [
        { op: 'upsert', resource: { resourceType: 'Patient', id, name: [{ family }] } },
        { op: 'patch', resourceType: 'Encounter', id: `e-${id}`, set: { status: 'finished', class: null }, create: false },
      ],
    },
  };
};

function event(id: number, raw: Buffer, charset: string | null = null, orderingKey = 'k'): SinkEvent {
  return {
    id,
    receivedAt: new Date(),
    controlId: String(id),
    messageType: 'ADT',
    triggerEvent: 'A08',
    version: '2.5',
    sendingApplication: 'EHR',
    sendingFacility: 'H',
    orderingKey,
    charset,
    raw,
    upstream: new Map(),
  };
}

describe.each(fhirEngines)('fhir sink on %s', (engine) => {
  let bed: FhirStoreBed;
  beforeAll(async () => {
    bed = await openFhirStore(engine, 'fhir_sink');
  });
  afterAll(() => bed?.close());

  it('decodes each event in its charset, applies it in order, and hands on a transaction Bundle', async () => {
    const sink = createFhirSink({ fhirStore: bed.fhir, map: fakeMap, options, log: silent });
    const latin1 = iconv.encode('MSH|^~\\&|x|p1^Müller^2026-01-01T10:00:00Z', 'latin1');
    const later = Buffer.from('MSH|^~\\&|x|p1^Müller-Lüdenscheidt^2026-01-01T11:00:00Z', 'utf8');
    const results = await sink.deliver([event(1, latin1, 'ISO-8859-1'), event(2, later)]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    const stored = await bed.fhir.read('Patient', 'p1');
    expect(stored?.resource.name).toEqual([{ family: 'Müller-Lüdenscheidt' }]);
    expect(stored?.version).toBe(2);
    const first = results[0];
    if (first?.ok !== true || first.output === undefined) throw new Error('no output');
    expect(first.output.contentType).toBe('application/fhir+json');
    // Serialised once, when first read (a route with no later sink never reads it).
    expect(first.output.body).toBe(first.output.body);
    const bundle = JSON.parse(first.output.body.toString('utf8')) as { type: string; entry: { request: { method: string; url: string }; resource: { data?: string } }[] };
    expect(bundle.type).toBe('transaction');
    expect(bundle.entry.map((e) => `${e.request.method} ${e.request.url}`)).toEqual(['PUT Patient/p1', 'PATCH Encounter/e-p1']);
    expect(JSON.parse(Buffer.from(bundle.entry[1]?.resource.data ?? '', 'base64').toString('utf8'))).toEqual([
      { op: 'add', path: '/status', value: 'finished' },
      { op: 'remove', path: '/class' },
    ]);
  });

  it('fails an unmappable message permanently, and a bad projection too, without stopping the batch', async () => {
    const sink = createFhirSink({ fhirStore: bed.fhir, map: fakeMap, options, log: silent });
    const results = await sink.deliver([
      event(3, Buffer.from('MSH|^~\\&|x|FAIL')),
      event(4, Buffer.from('MSH|^~\\&|x|p2^Bad^not-a-time')),
      event(5, Buffer.from('MSH|^~\\&|x|p3^Good^2026-01-01T10:00:00Z')),
    ]);
    expect(results).toEqual([
      { ok: false, permanent: true, error: 'fhir mapping: PID-3 missing' },
      { ok: false, permanent: true, error: expect.stringMatching(/^fhir projection: /) },
      expect.objectContaining({ ok: true }),
    ]);
    expect(await bed.fhir.read('Patient', 'p2')).toBeNull();
  });

  it.each([
    { ordered: true, lateApplied: false },
    { ordered: false, lateApplied: true },
  ])('an unmappable event holds back the later events of its lane, and only them, in an ordered call (ordered: $ordered)', async ({ ordered, lateApplied }) => {
    const sink = createFhirSink({ fhirStore: bed.fhir, map: fakeMap, options, log: silent });
    const at = (id: string, family: string): Buffer => Buffer.from(`MSH|^~\\&|x|${id}^${family}^2026-01-02T10:00:00Z`);
    const lane = ordered ? 'o' : 'u';
    const results = await sink.deliver(
      [
        event(10, at(`${lane}-a1`, 'A'), null, 'A'),
        event(11, Buffer.from('MSH|^~\\&|x|FAIL'), null, 'A'),
        event(12, at(`${lane}-b1`, 'B'), null, 'B'),
        event(13, at(`${lane}-a2`, 'A'), null, 'A'),
      ],
      { ordered },
    );
    expect(results).toEqual([
      expect.objectContaining({ ok: true }),
      { ok: false, permanent: true, error: 'fhir mapping: PID-3 missing' },
      expect.objectContaining({ ok: true }),
      ordered ? { ok: false, permanent: false, error: 'fhir: an earlier event of its lane failed' } : expect.objectContaining({ ok: true }),
    ]);
    expect((await bed.fhir.read('Patient', `${lane}-b1`)) !== null).toBe(true);
    expect((await bed.fhir.read('Patient', `${lane}-a2`)) !== null).toBe(lateApplied);
  });

  it('when the store fails, every event it was to apply is retried later; unmappable ones still fail for good', async () => {
    const failing = { ...bed.fhir, applyAll: () => Promise.reject(new Error('connection lost')) };
    const sink = createFhirSink({ fhirStore: failing, map: fakeMap, options, log: silent });
    const results = await sink.deliver([event(6, Buffer.from('MSH|^~\\&|x|p4^A^2026-01-01T10:00:00Z')), event(7, Buffer.from('MSH|^~\\&|x|FAIL'))]);
    expect(results).toEqual([
      { ok: false, permanent: false, error: 'fhir store: Error' },
      { ok: false, permanent: true, error: 'fhir mapping: PID-3 missing' },
    ]);
  });
});

describe('fhir sink transactions', () => {
  /** A projection of `writes` Patient upserts. */
  const wide = (writes: number): MapMessage => (raw) => ({
    ok: true,
    projection: {
      eventTime: '2026-01-01T10:00:00Z',
      writes: Array.from({ length: writes }, (_, i) => ({ op: 'upsert' as const, resource: { resourceType: 'Patient', id: `${raw.length}-${i}` } })),
    },
  });

  it('applies a large batch in several transactions, and when one fails, retries it and every later event only', async () => {
    const calls: number[] = [];
    const fhirStore = {
      applyAll: async (projections: readonly { writes: unknown[] }[]) => {
        calls.push(projections.length);
        if (calls.length === 3) throw new Error('lost');
        return projections.map((p) => p.writes.map(() => 'created' as const));
      },
    } as unknown as Parameters<typeof createFhirSink>[0]['fhirStore'];
    const sink = createFhirSink({ fhirStore, map: wide(100), options, log: silent });
    const events = Array.from({ length: 10 }, (_, i) => event(i + 1, Buffer.from(`MSH|^~\\&|x|${i}`)));
    const results = await sink.deliver(events);
    // 100 writes each, at most 300 a transaction: 3 + 3 + (fails) → 6 done, 4 to retry, in order.
    expect(calls).toEqual([3, 3, 3]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, true, true, false, false, false, false]);
    expect(results[6]).toEqual({ ok: false, permanent: false, error: 'fhir store: Error' });
  });
});
