import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirResource } from '../../src/fhir/projection.ts';
import { createFhirStore, type FhirStore } from '../../src/fhir/store/fhir-store.ts';
import { send } from '../support/https-client.ts';
import { createTestDatabase, mariaDbReachable, type TestDatabase } from '../support/mariadb.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// The Patient 360 API through HTTPS on the service as production builds it, on both engines: every
// search rule, reads with ETag, history, $everything paging, errors as OperationOutcome.

type Bundle = { resourceType: string; type: string; total: number; link: { relation: string; url: string }[]; entry?: { fullUrl: string; resource: FhirResource; search?: { mode: string } }[] };

const patients: FhirResource[] = [
  { resourceType: 'Patient', id: 'p-smith', name: [{ family: 'Smith', given: ['John', 'Paul'] }], birthDate: '1970-05-14', gender: 'male', identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN1' }] },
  { resourceType: 'Patient', id: 'p-smithers', name: [{ family: 'Smithers', given: ['Waylon'], prefix: ['Mr'] }], birthDate: '1970-11-02', gender: 'male', identifier: [{ value: 'MRN2' }] },
  { resourceType: 'Patient', id: 'p-muller', name: [{ family: 'Müller', given: ['Élodie'] }], birthDate: '1985', gender: 'female', identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN3' }] },
  { resourceType: 'Patient', id: 'p-vansmith', name: [{ family: 'van Smith', given: ['Ann'], text: 'Ann van Smith' }], birthDate: '1969-12-31', gender: 'female' },
  // Merged into p-smith (A40): marked, and found through its survivor.
  { resourceType: 'Patient', id: 'p-old', active: false, name: [{ family: 'Smyth', given: ['Jon'] }], birthDate: '1970-05-14', identifier: [{ system: 'urn:oid:1.2.3', value: 'OLD9' }], link: [{ type: 'replaced-by', other: { reference: 'Patient/p-smith' } }] },
];
const observation = (id: string, patient: string, when: string, code: string, status = 'final'): FhirResource => ({
  resourceType: 'Observation',
  id,
  status,
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: when,
});
const others: FhirResource[] = [
  observation('o1', 'p-smith', '2026-01-10T08:00:00Z', '718-7'),
  observation('o2', 'p-smith', '2026-02-10T08:00:00Z', '2345-7', 'preliminary'),
  observation('o3', 'p-old', '2025-06-01T08:00:00Z', '718-7'),
  observation('o4', 'p-muller', '2026-01-10T08:00:00Z', '718-7'),
  { resourceType: 'Encounter', id: 'e1', status: 'finished', class: { code: 'IMP' }, subject: { reference: 'Patient/p-smith' }, period: { start: '2026-01-09T10:00:00Z', end: '2026-01-12T10:00:00Z' } },
  { resourceType: 'Condition', id: 'c1', subject: { reference: 'Patient/p-smith' }, code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] } },
];

const engines = mariaDbReachable ? (['sqlite', 'mariadb'] as const) : (['sqlite'] as const);

describe.each(engines)('Patient 360 API on %s', (engine) => {
  let t: ApiApp;
  let db: TestDatabase | null = null;
  let fhir: FhirStore;
  let now = Date.parse('2026-03-01T00:00:00Z');
  const get = (path: string, headers: Record<string, string> = {}, key: string | null = t.keys.read) =>
    send({ port: t.httpsPort ?? 0, ca: t.pki.ca, method: 'GET', path, headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers } });
  const search = async (path: string): Promise<Bundle> => {
    const answer = await get(path);
    expect(answer.status, answer.text).toBe(200);
    return answer.json() as Bundle;
  };
  const ids = (bundle: Bundle, mode = 'match'): string[] => (bundle.entry ?? []).filter((e) => e.search?.mode === mode).map((e) => e.resource.id).sort();

  beforeAll(async () => {
    db = engine === 'mariadb' ? await createTestDatabase('fhir_api') : null;
    t = await startApiApp(db === null ? 'sqlite' : db.config);
    const handle = t.app.store?.handle;
    if (handle === undefined) throw new Error('no store handle');
    fhir = createFhirStore(handle, { clock: () => now });
    await fhir.apply({ eventTime: '2026-03-01T00:00:00Z', writes: [...patients, ...others].map((resource) => ({ op: 'upsert', resource })) });
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  it.each([
    ['family=smith', ['p-smith', 'p-smithers']],
    ['family=SMI', ['p-smith', 'p-smithers']],
    ['family=muller', ['p-muller']],
    ['family=M%C3%9CL', ['p-muller']],
    ['family:exact=Smith', ['p-smith']],
    ['family:exact=smith', []],
    ['family:contains=mith', ['p-smith', 'p-smithers', 'p-vansmith']],
    ['family=smith,muller', ['p-muller', 'p-smith', 'p-smithers']],
    ['given=elo', ['p-muller']],
    ['given=paul', ['p-smith']],
    ['name=mr', ['p-smithers']],
    ['name=ann', ['p-vansmith']],
    ['name=van', ['p-vansmith']],
    ['family=smith&given=way', ['p-smithers']],
    ['birthdate=1970', ['p-old', 'p-smith', 'p-smithers']],
    ['birthdate=1970-05', ['p-old', 'p-smith']],
    ['birthdate=eq1970-05-14', ['p-old', 'p-smith']],
    ['birthdate=ne1970-05-14', ['p-muller', 'p-smithers', 'p-vansmith']],
    ['birthdate=lt1970', ['p-vansmith']],
    ['birthdate=gt1970-05-14', ['p-muller', 'p-smithers']],
    ['birthdate=ge1970-11-02', ['p-muller', 'p-smithers']],
    ['birthdate=le1970-05-14', ['p-old', 'p-smith', 'p-vansmith']],
    ['birthdate=eq1985-06', []],
    ['birthdate=lt1985-06', ['p-muller', 'p-old', 'p-smith', 'p-smithers', 'p-vansmith']],
    ['birthdate=gt1985-06', ['p-muller']],
    ['family=smith&birthdate=1970-05-14', ['p-smith']],
    ['gender=female', ['p-muller', 'p-vansmith']],
    ['identifier=urn:oid:1.2.3|MRN1', ['p-smith']],
    ['identifier=|MRN2', ['p-smithers']],
    ['identifier=|MRN1', []],
    ['identifier=MRN3', ['p-muller']],
    ['identifier=urn:oid:1.2.3|', ['p-muller', 'p-old', 'p-smith']],
  ])('Patient?%s', async (query, expected) => {
    expect(ids(await search(`/fhir/Patient?${String(query)}`))).toEqual(expected);
  });

  it.each([
    ['Observation?patient=p-muller', ['o4']],
    ['Observation?patient=Patient/p-smith', ['o1', 'o2', 'o3']],
    ['Observation?patient=p-smith&code=http://loinc.org|718-7', ['o1', 'o3']],
    ['Observation?patient=p-smith&code=2345-7', ['o2']],
    ['Observation?patient=p-smith&status=final', ['o1', 'o3']],
    ['Observation?patient=p-smith&date=2026-01', ['o1']],
    ['Observation?patient=p-smith&date=ge2026-01-01', ['o1', 'o2']],
    ['Observation?patient=p-old', ['o3']],
    ['Encounter?patient=p-smith&date=2026-01-10', []],
    ['Encounter?patient=p-smith&date=ge2026-01-10', ['e1']],
    ['Encounter?patient=p-smith&status=finished', ['e1']],
    ['Condition?patient=p-smith&code=http://snomed.info/sct|38341003', ['c1']],
  ])('%s (merged patients found through the survivor)', async (path, expected) => {
    expect(ids(await search(`/fhir/${String(path)}`))).toEqual(expected);
  });

  it('marks a merged patient and brings its survivor along', async () => {
    const bundle = await search('/fhir/Patient?identifier=OLD9');
    expect(ids(bundle)).toEqual(['p-old']);
    expect(ids(bundle, 'include')).toEqual(['p-smith']);
    expect(bundle.entry?.[0]?.resource).toMatchObject({ active: false, link: [{ type: 'replaced-by' }] });
  });

  it('pages with an exact total and self/next/previous links', async () => {
    const first = await search('/fhir/Patient?family=smith&_count=1');
    expect(first).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 2 });
    expect(ids(first)).toEqual(['p-smith']);
    const next = first.link.find((l) => l.relation === 'next')?.url ?? '';
    expect(first.link.find((l) => l.relation === 'self')?.url).toMatch(/\/fhir\/Patient\?family=smith&_count=1&_offset=0$/);
    const second = await search(new URL(next).pathname + new URL(next).search);
    expect(ids(second)).toEqual(['p-smithers']);
    expect(second.link.map((l) => l.relation)).toEqual(['self', 'previous']);
    expect((await search('/fhir/Patient?family=smith&_count=0')).entry).toBeUndefined();
    expect(first.entry?.[0]?.fullUrl).toMatch(/^https:\/\/[^/]+\/fhir\/Patient\/p-smith$/);
  });

  it('refuses unknown parameters with a 400 OperationOutcome naming them, unless lenient', async () => {
    const refused = await get('/fhir/Patient?family=smith&nickname=x&address-city=y');
    expect(refused.status).toBe(400);
    expect(refused.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const outcome = refused.json() as { resourceType: string; issue: { diagnostics: string }[] };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue.map((i) => i.diagnostics.split(':')[0])).toEqual(['nickname', 'address-city']);
    const lenient = await get('/fhir/Patient?family=smith&nickname=x', { prefer: 'handling=lenient' });
    expect(lenient.status).toBe(200);
    const bundle = lenient.json() as Bundle;
    expect(bundle.total).toBe(2);
    expect(bundle.link[0]?.url).not.toMatch(/nickname/);
    expect(ids(bundle, 'outcome')).toEqual(['outcome']);
    expect((await get('/fhir/Patient?birthdate=1970-13')).status).toBe(400);
    expect((await get('/fhir/Patient?family:missing=true')).status).toBe(400);
    expect((await get('/fhir/Patient?_count=5000')).status).toBe(400);
  });

  it('reads with ETag, vreads, and lists history', async () => {
    await fhir.apply({ eventTime: '2026-03-02T00:00:00Z', writes: [{ op: 'patch', resourceType: 'Patient', id: 'p-muller', set: { gender: 'other' }, create: false }] });
    const read = await get('/fhir/Patient/p-muller');
    expect(read.status).toBe(200);
    expect(read.headers.etag).toBe('W/"2"');
    expect(read.json()).toMatchObject({ id: 'p-muller', gender: 'other', meta: { versionId: '2' } });
    const v1 = await get('/fhir/Patient/p-muller/_history/1');
    expect(v1.headers.etag).toBe('W/"1"');
    expect(v1.json()).toMatchObject({ gender: 'female', meta: { versionId: '1' } });
    const history = (await get('/fhir/Patient/p-muller/_history')).json() as Bundle;
    expect(history).toMatchObject({ type: 'history', total: 2 });
    expect(history.entry?.map((e) => e.resource.meta)).toMatchObject([{ versionId: '2' }, { versionId: '1' }]);
    expect((await search('/fhir/Patient?gender=other')).total).toBe(1);
  });

  it.each([
    ['/fhir/Patient/nobody', 404],
    ['/fhir/Patient/p-muller/_history/9', 404],
    ['/fhir/Patient/nobody/_history', 404],
    ['/fhir/Patient/nobody/$everything', 404],
    ['/fhir/Medication?code=x', 404],
    ['/fhir/Patient?_format=xml', 406],
    ['/fhir/metadata?_format=application/fhir+xml', 406],
  ])('%s → %i OperationOutcome', async (path, status) => {
    const answer = await get(path);
    expect(answer.status).toBe(status);
    expect((answer.json() as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('answers 406 to an XML Accept and JSON to _format=json', async () => {
    expect((await get('/fhir/metadata', { accept: 'application/fhir+xml' })).status).toBe(406);
    const json = await get('/fhir/Patient/p-smith?_format=json', { accept: 'application/fhir+xml' });
    expect(json.status).toBe(200);
    for (const accept of ['*/*', 'application/fhir+json; q=0.9, application/fhir+xml', 'text/html, application/*']) {
      expect((await get('/fhir/metadata', { accept })).status, accept).toBe(200);
    }
  });

  it('needs a key with the fhir or read role', async () => {
    expect((await get('/fhir/metadata', {}, null)).status).toBe(401);
    expect((await get('/fhir/metadata', {}, t.keys.ingest)).status).toBe(403);
    const metadata = await get('/fhir/metadata');
    expect(metadata.status).toBe(200);
    const statement = metadata.json() as { fhirVersion: string; rest: { resource: { type: string; searchParam: { name: string }[] }[] }[] };
    expect(statement.fhirVersion).toBe('4.0.1');
    const patient = statement.rest[0]?.resource.find((r) => r.type === 'Patient');
    expect(patient?.searchParam.map((p) => p.name).sort()).toEqual(['_count', 'birthdate', 'family', 'gender', 'given', 'identifier', 'name']);
  });

  it('$everything: the patient, merged patients and their resources, paged, with _type and _since', async () => {
    const all = await search('/fhir/Patient/p-smith/$everything');
    expect(all.total).toBe(7);
    expect(all.entry?.slice(0, 2).map((e) => e.resource.resourceType)).toEqual(['Patient', 'Patient']);
    expect(ids(all)).toEqual(['c1', 'e1', 'o1', 'o2', 'o3', 'p-old', 'p-smith']);
    const page1 = await search('/fhir/Patient/p-smith/$everything?_count=3');
    const next = page1.link.find((l) => l.relation === 'next')?.url ?? '';
    const page2 = await search(new URL(next).pathname + new URL(next).search);
    const page3url = page2.link.find((l) => l.relation === 'next')?.url ?? '';
    const page3 = await search(new URL(page3url).pathname + new URL(page3url).search);
    expect([...ids(page1), ...ids(page2), ...ids(page3)].sort()).toEqual(ids(all));
    expect(page3.link.some((l) => l.relation === 'next')).toBe(false);
    expect(ids(await search('/fhir/Patient/p-smith/$everything?_type=Observation,Encounter'))).toEqual(['e1', 'o1', 'o2', 'o3']);
    now = Date.parse('2026-03-05T00:00:00Z');
    await fhir.apply({ eventTime: '2026-03-03T00:00:00Z', writes: [{ op: 'upsert', resource: observation('o5', 'p-smith', '2026-03-01T00:00:00Z', '718-7') }] });
    expect(ids(await search('/fhir/Patient/p-smith/$everything?_since=2026-03-04T00:00:00Z'))).toEqual(['o5']);
    expect((await get('/fhir/Patient/p-smith/$everything?start=2020')).status).toBe(400);
  });
});
