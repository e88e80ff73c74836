import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FhirResource } from '../../src/fhir/projection.ts';
import { createFhirStore } from '../../src/fhir/store/fhir-store.ts';
import { send, type Answer } from '../support/https-client.ts';
import { createTestDatabase, mariaDbReachable, type TestDatabase } from '../support/mariadb.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// POST /fhir/Patient/_search (R4 "search via POST"): the GET search's parameters in a form body, so a
// console searches by name and birth date without PHI in the URL. Same answers as GET, on both engines.

type Bundle = { resourceType: string; total: number; entry?: { resource: FhirResource; search?: { mode: string } }[]; issue?: { diagnostics: string }[] };

const patients: FhirResource[] = [
  { resourceType: 'Patient', id: 'p-smith', name: [{ family: 'Smith', given: ['John'] }], birthDate: '1970-05-14', gender: 'male' },
  { resourceType: 'Patient', id: 'p-smithers', name: [{ family: 'Smithers', given: ['Waylon'] }], birthDate: '1970-11-02', gender: 'male' },
  { resourceType: 'Patient', id: 'p-muller', name: [{ family: 'Müller', given: ['Élodie'] }], birthDate: '1985-01-01', gender: 'female' },
];

const engines = mariaDbReachable ? (['sqlite', 'mariadb'] as const) : (['sqlite'] as const);

describe.each(engines)('POST /fhir/Patient/_search on %s', (engine) => {
  let t: ApiApp;
  let db: TestDatabase | null = null;
  const request = (method: string, path: string, body?: string, headers: Record<string, string> = {}, key: string | null = t.keys.read): Promise<Answer> =>
    send({
      port: t.httpsPort ?? 0,
      ca: t.pki.ca,
      method,
      path,
      headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }), ...headers },
      ...(body === undefined ? {} : { body }),
    });
  const ids = (answer: Answer): string[] => ((answer.json() as Bundle).entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource.id).sort();

  beforeAll(async () => {
    db = engine === 'mariadb' ? await createTestDatabase('fhir_post_search') : null;
    t = await startApiApp(db === null ? 'sqlite' : db.config);
    const fhir = createFhirStore(t.app.store!.handle!);
    await fhir.apply({ eventTime: '2026-03-01T00:00:00Z', writes: patients.map((resource) => ({ op: 'upsert', resource })) });
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  it.each([
    ['family=smith', ['p-smith', 'p-smithers']],
    ['family=smith&birthdate=1970-05-14', ['p-smith']],
    ['name=%C3%A9lodie', ['p-muller']],
    ['family=smith&family=smithers', ['p-smithers']],
    ['birthdate=ge1980-01-01', ['p-muller']],
    ['', ['p-muller', 'p-smith', 'p-smithers']],
  ])('answers %j in the body as GET answers it in the URL', async (form, expected) => {
    const posted = await request('POST', '/fhir/Patient/_search', form);
    expect(posted.status, posted.text).toBe(200);
    expect(posted.headers['content-type']).toMatch(/^application\/fhir\+json/);
    const got = await request('GET', `/fhir/Patient${form === '' ? '' : `?${form}`}`);
    expect(ids(posted)).toEqual(expected);
    expect(posted.json()).toEqual(got.json());
  });

  it('takes parameters from the URL and the body together', async () => {
    const answer = await request('POST', '/fhir/Patient/_search?gender=male', 'birthdate=1970-11-02');
    expect(ids(answer)).toEqual(['p-smithers']);
  });

  it('takes no body at all (parameters in the URL only)', async () => {
    const answer = await request('POST', '/fhir/Patient/_search?family=muller');
    expect(answer.status, answer.text).toBe(200);
    expect(ids(answer)).toEqual(['p-muller']);
  });

  it.each([
    ['an unknown parameter in the body', 'POST', 'shoe=42', {}, 400, /shoe: not a supported search parameter of Patient/],
    ['a bad value in the body', 'POST', 'birthdate=yesterday', {}, 400, /birthdate/],
    ['a body that is not a form', 'POST', '{"family":"smith"}', { 'content-type': 'application/json' }, 415, /application\/x-www-form-urlencoded/],
    ['_format xml in the body', 'POST', 'family=smith&_format=xml', {}, 406, /only json/],
  ])('refuses %s with an OperationOutcome', async (_what, method, body, headers, status, diagnostics) => {
    const answer = await request(method, '/fhir/Patient/_search', body, headers);
    expect(answer.status).toBe(status);
    const outcome = answer.json() as Bundle;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.map((i) => i.diagnostics).join(' ')).toMatch(diagnostics);
  });

  it('ignores an unknown parameter with Prefer: handling=lenient, as GET does', async () => {
    const answer = await request('POST', '/fhir/Patient/_search', 'family=muller&shoe=42', { prefer: 'handling=lenient' });
    expect(answer.status).toBe(200);
    expect(ids(answer)).toEqual(['p-muller']);
  });

  it('refuses a form larger than a search needs', async () => {
    const answer = await request('POST', '/fhir/Patient/_search', `family=${'x'.repeat(20_000)}`);
    expect(answer.status).toBe(413);
  });

  it('needs a key with the fhir role', async () => {
    expect((await request('POST', '/fhir/Patient/_search', 'family=smith', {}, null)).status).toBe(401);
    expect((await request('POST', '/fhir/Patient/_search', 'family=smith', {}, t.keys.ingest)).status).toBe(403);
  });

  it('says so in the CapabilityStatement', async () => {
    const statement = (await request('GET', '/fhir/metadata')).json() as { rest: { resource: { type: string; interaction: { code: string; documentation?: string }[] }[] }[] };
    const patient = statement.rest[0]?.resource.find((r) => r.type === 'Patient');
    expect(patient?.interaction.find((i) => i.code === 'search-type')?.documentation).toMatch(/POST \[type\]\/_search/);
  });
});
