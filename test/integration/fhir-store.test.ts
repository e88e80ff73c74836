import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirResource, Projection } from '../../src/fhir/projection.ts';
import { contentHashOf } from '../../src/fhir/store/apply.ts';
import { createFhirEngine } from '../../src/fhir/store/engine.ts';
import type { StoreHandle } from '../../src/store/store.ts';
import { fhirEngines, openFhirStore, type FhirStoreBed } from '../support/fhir-stores.ts';

// Store semantics of the FHIR resources on both engines: versions and history, older events
// ignored, patches, idempotent re-apply, concurrent appliers.

const patient = (id: string, family: string, extra: Record<string, unknown> = {}): FhirResource => ({
  resourceType: 'Patient',
  id,
  name: [{ family, given: ['Ann'] }],
  birthDate: '1970-05-01',
  ...extra,
});
const upsert = (eventTime: string, ...resources: FhirResource[]): Projection => ({ eventTime, writes: resources.map((resource) => ({ op: 'upsert', resource })) });

describe.each(fhirEngines)('FHIR store on %s', (engine) => {
  let bed: FhirStoreBed;
  beforeAll(async () => {
    bed = await openFhirStore(engine, 'fhir_store');
  });
  afterAll(() => bed?.close());

  it('creates version 1 with meta set, and a change makes version 2 with history kept', async () => {
    expect(await bed.fhir.apply(upsert('2026-01-01T10:00:00Z', patient('p1', 'Smith')))).toEqual(['created']);
    bed.now.value += 1000;
    expect(await bed.fhir.apply(upsert('2026-01-01T11:00:00Z', patient('p1', 'Smyth')))).toEqual(['updated']);
    const current = await bed.fhir.read('Patient', 'p1');
    expect(current?.version).toBe(2);
    expect(current?.resource.meta).toEqual({ versionId: '2', lastUpdated: new Date(bed.now.value).toISOString() });
    const history = await bed.fhir.history('Patient', 'p1');
    expect(history.map((r) => [(r.meta as { versionId: string }).versionId, (r.name as { family: string }[])[0]?.family])).toEqual([
      ['2', 'Smyth'],
      ['1', 'Smith'],
    ]);
    expect((await bed.fhir.readVersion('Patient', 'p1', 1))?.name).toEqual([{ family: 'Smith', given: ['Ann'] }]);
  });

  it('ignores an older event, and makes no version for a write that changes nothing (key order aside)', async () => {
    expect(await bed.fhir.apply(upsert('2026-01-01T10:30:00Z', patient('p1', 'Older')))).toEqual(['stale']);
    const { id, resourceType, ...rest } = patient('p1', 'Smyth');
    const reordered = { ...rest, meta: { versionId: '9', lastUpdated: '2000-01-01T00:00:00Z' }, id, resourceType } as FhirResource;
    expect(await bed.fhir.apply(upsert('2026-01-01T12:00:00Z', reordered))).toEqual(['unchanged']);
    // The no-op was still the newest event: an event between the two is older than it.
    expect(await bed.fhir.apply(upsert('2026-01-01T11:30:00Z', patient('p1', 'Between')))).toEqual(['stale']);
    expect((await bed.fhir.read('Patient', 'p1'))?.version).toBe(2);
  });

  it('re-applying the same projection changes nothing', async () => {
    const projection = upsert('2026-01-02T00:00:00Z', patient('p2', 'Jones'), { resourceType: 'Encounter', id: 'e2', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: 'Patient/p2' } });
    expect(await bed.fhir.apply(projection)).toEqual(['created', 'created']);
    expect(await bed.fhir.apply(projection)).toEqual(['unchanged', 'unchanged']);
    expect((await bed.fhir.history('Encounter', 'e2')).length).toBe(1);
  });

  it('patches: sets and removes elements, creates only when told, and obeys event time', async () => {
    const patch = (eventTime: string, id: string, set: Record<string, unknown>, create: boolean): Projection => ({
      eventTime,
      writes: [{ op: 'patch', resourceType: 'Encounter', id, set, create }],
    });
    expect(await bed.fhir.apply(patch('2026-01-03T00:00:00Z', 'e-none', { status: 'finished' }, false))).toEqual(['absent']);
    expect(await bed.fhir.read('Encounter', 'e-none')).toBeNull();
    expect(await bed.fhir.apply(patch('2026-01-03T00:00:00Z', 'e2', { status: 'finished', class: null }, false))).toEqual(['updated']);
    const e2 = await bed.fhir.read('Encounter', 'e2');
    expect(e2?.resource).toMatchObject({ status: 'finished', subject: { reference: 'Patient/p2' } });
    expect(e2?.resource).not.toHaveProperty('class');
    expect(await bed.fhir.apply(patch('2026-01-02T12:00:00Z', 'e2', { status: 'cancelled' }, false))).toEqual(['stale']);
    expect(await bed.fhir.apply(patch('2026-01-03T00:00:00Z', 'e3', { status: 'finished' }, true))).toEqual(['created']);
    expect((await bed.fhir.read('Encounter', 'e3'))?.resource).toMatchObject({ resourceType: 'Encounter', id: 'e3', status: 'finished' });
  });

  it('concurrent appliers of one resource make one version per distinct change, never a lost one', async () => {
    const writes = Array.from({ length: 12 }, (_, i) => upsert(`2026-02-01T00:00:${String(i).padStart(2, '0')}Z`, patient('p-race', `Name${i}`)));
    const outcomes = (await Promise.all(writes.map((w) => bed.fhir.apply(w)))).flat();
    const current = await bed.fhir.read('Patient', 'p-race');
    const changes = outcomes.filter((o) => o === 'created' || o === 'updated').length;
    expect(current?.version).toBe(changes);
    expect((await bed.fhir.history('Patient', 'p-race')).length).toBe(changes);
    // Whatever the order, the newest event's name is the one kept.
    expect(current?.resource.name).toEqual([{ family: 'Name11', given: ['Ann'] }]);
  });

  it('applies several projections in one transaction, in order, each write judged against the ones before', async () => {
    const outcomes = await bed.fhir.applyAll([
      upsert('2026-03-01T02:00:00Z', patient('p-batch', 'Two')),
      upsert('2026-03-01T01:00:00Z', patient('p-batch', 'One')),
      { eventTime: '2026-03-01T03:00:00Z', writes: [{ op: 'patch', resourceType: 'Patient', id: 'p-batch', set: { gender: 'female' }, create: false }] },
      upsert('2026-03-01T03:00:00Z', patient('p-batch', 'Two', { gender: 'female' }), patient('p-batch-2', 'Other')),
    ]);
    expect(outcomes).toEqual([['created'], ['stale'], ['updated'], ['unchanged', 'created']]);
    const history = await bed.fhir.history('Patient', 'p-batch');
    expect(history.map((r) => [(r.meta as { versionId: string }).versionId, r.gender ?? null])).toEqual([
      ['2', 'female'],
      ['1', null],
    ]);
    expect((await bed.fhir.read('Patient', 'p-batch'))?.version).toBe(2);
  });

  it('reads and touches every current row of a projection larger than one statement (600 resources, mixed types)', async () => {
    const many = (family: (i: number) => string): FhirResource[] =>
      Array.from({ length: 600 }, (_, i) =>
        i % 2 === 0 ? patient(`p-many-${i}`, family(i)) : { resourceType: 'Observation', id: `o-many-${i}`, status: 'final', valueString: family(i), subject: { reference: `Patient/p-many-${i - 1}` } },
      );
    expect(new Set(await bed.fhir.apply(upsert('2026-04-01T00:00:00Z', ...many(() => 'A'))))).toEqual(new Set(['created']));
    // Every third one changes: the others are found stored and unchanged, in each read chunk.
    const outcomes = await bed.fhir.apply(upsert('2026-04-01T00:00:00Z', ...many((i) => (i % 3 === 0 ? 'B' : 'A'))));
    expect(outcomes).toEqual(many(() => '').map((_, i) => (i % 3 === 0 ? 'updated' : 'unchanged')));
    expect((await bed.fhir.read('Observation', 'o-many-599'))?.version).toBe(1);
    expect((await bed.fhir.read('Patient', 'p-many-0'))?.version).toBe(2);
    // The same content as a newer event: no version, but every row's event time moves (written in
    // chunks), so an event between the two is older than each of them.
    const same = many((i) => (i % 3 === 0 ? 'B' : 'A'));
    expect(new Set(await bed.fhir.apply(upsert('2026-04-03T00:00:00Z', ...same)))).toEqual(new Set(['unchanged']));
    expect(new Set(await bed.fhir.apply(upsert('2026-04-02T00:00:00Z', ...many(() => 'C'))))).toEqual(new Set(['stale']));
    expect((await bed.fhir.read('Observation', 'o-many-599'))?.version).toBe(1);
  });

  it('keeps a hash of each current version; a row without one (before migration 0006) is compared by content and given it, with no new version', async () => {
    const sql = createFhirEngine(bed.store.handle as StoreHandle);
    const hashOf = async (): Promise<unknown> => (await sql.all("SELECT content_hash FROM fhir_resource WHERE resource_type = 'Patient' AND id = 'p-hash'", []))[0]?.content_hash;
    const projection = upsert('2026-05-01T00:00:00Z', patient('p-hash', 'Hash'));
    expect(await bed.fhir.apply(projection)).toEqual(['created']);
    const stored = await hashOf();
    expect(stored).toBe(contentHashOf(patient('p-hash', 'Hash')));
    await sql.all("UPDATE fhir_resource SET content_hash = NULL WHERE resource_type = 'Patient' AND id = 'p-hash'", []);
    expect(await bed.fhir.apply(projection)).toEqual(['unchanged']);
    expect(await hashOf()).toBe(stored);
    expect((await bed.fhir.read('Patient', 'p-hash'))?.version).toBe(1);
    // A hash that no longer matches the content (another key order) is not trusted to say "changed".
    await sql.all("UPDATE fhir_resource SET content_hash = 'other' WHERE resource_type = 'Patient' AND id = 'p-hash'", []);
    expect(await bed.fhir.apply(projection)).toEqual(['unchanged']);
    expect(await hashOf()).toBe(stored);
    expect((await bed.fhir.history('Patient', 'p-hash')).length).toBe(1);
  });

  it.runIf(engine === 'mariadb')('locks only the rows it writes, even in a small table: another resource held by another transaction does not block it', { timeout: 20_000 }, async () => {
    // A fresh database: MariaDB plans a scan of a table this small unless told otherwise.
    const small = await openFhirStore(engine, 'fhir_small');
    try {
      expect(await small.fhir.apply(upsert('2026-06-01T00:00:00Z', patient('p-held', 'Held'), patient('p-free', 'Free'), patient('p-x', 'X')))).toEqual(['created', 'created', 'created']);
      const handle = small.store.handle as Extract<StoreHandle, { engine: 'mariadb' }>;
      await handle.pool.withConnection((conn) => conn.query('ANALYZE TABLE fhir_resource'));
      await handle.pool.withConnection(async (holder) => {
        await holder.beginTransaction();
        try {
          await holder.query("SELECT id FROM fhir_resource WHERE resource_type = 'Patient' AND id = 'p-held' FOR UPDATE");
          // As many ids as rows: left to itself, MariaDB plans a scan (EXPLAIN: ALL), which would
          // wait on p-held until the store's deadline.
          const writes = upsert('2026-06-02T00:00:00Z', patient('p-free', 'Freer'), patient('p-x', 'Y'), patient('p-new', 'New'), patient('p-new2', 'New'));
          expect(await small.fhir.apply(writes)).toEqual(['updated', 'updated', 'created', 'created']);
        } finally {
          await holder.rollback();
        }
      });
    } finally {
      await small.close();
    }
  });

  it('refuses a projection whose eventTime is not an instant, writing nothing', async () => {
    await expect(bed.fhir.apply(upsert('yesterday', patient('p-bad', 'X')))).rejects.toThrow(/eventTime/);
    expect(await bed.fhir.read('Patient', 'p-bad')).toBeNull();
  });
});
