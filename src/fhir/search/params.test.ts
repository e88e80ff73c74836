import { describe, expect, it } from 'vitest';
import { parseEverything, parseSearch, parseToken } from './params.ts';
import { successorOf } from './sql.ts';

describe('parseSearch', () => {
  it.each([
    ['family', 'Müller', { kind: 'string', param: 'family', modifier: 'starts', values: ['muller'] }],
    ['family:exact', 'Müller', { kind: 'string', param: 'family', modifier: 'exact', values: ['Müller'] }],
    ['name:contains', 'ANN,bob', { kind: 'string', param: 'name', modifier: 'contains', values: ['ann', 'bob'] }],
    ['gender', 'female', { kind: 'token', param: 'gender', values: [{ system: null, code: 'female' }] }],
    ['identifier', 'urn:oid:1|A,|B', { kind: 'token', param: 'identifier', values: [{ system: 'urn:oid:1', code: 'A' }, { system: '', code: 'B' }] }],
  ])('Patient %s=%s', (key, value, filter) => {
    const parsed = parseSearch('Patient', { [key]: value }, false);
    expect(parsed).toMatchObject({ ok: true, spec: { filters: [filter], applied: [[key, value]] } });
  });

  it('reads date prefixes and partial dates as ranges', () => {
    const parsed = parseSearch('Patient', { birthdate: ['ge1970', 'lt1970-05-14'] }, false);
    expect(parsed.ok && parsed.spec.filters).toEqual([
      { kind: 'date', param: 'birthdate', values: [{ prefix: 'ge', range: { lo: Date.UTC(1970, 0, 1), hi: Date.UTC(1971, 0, 1) } }] },
      { kind: 'date', param: 'birthdate', values: [{ prefix: 'lt', range: { lo: Date.UTC(1970, 4, 14), hi: Date.UTC(1970, 4, 15) } }] },
    ]);
  });

  it('takes _count and _offset, and ignores _format', () => {
    expect(parseSearch('Patient', { _count: '5', _offset: '10', _format: 'json' }, false)).toMatchObject({ ok: true, spec: { count: 5, offset: 10, filters: [] } });
  });

  it.each([
    [{ nickname: 'x' }, 'nickname: not a supported search parameter of Patient'],
    [{ 'family:missing': 'true' }, 'family:missing: not a supported search parameter of Patient'],
    [{ 'gender:text': 'f' }, 'gender:text: not a supported search parameter of Patient'],
    [{ birthdate: 'sa1970' }, expect.stringMatching(/^birthdate: a date/)],
    [{ birthdate: '1970-5' }, expect.stringMatching(/^birthdate: a date/)],
    [{ family: 'a,' }, 'family: an empty value'],
    [{ _count: '-1' }, expect.stringMatching(/^_count: a whole number/)],
    [{ _count: '1001' }, expect.stringMatching(/^_count: a whole number/)],
  ])('refuses %j', (query, issue) => {
    expect(parseSearch('Patient', query, false)).toEqual({ ok: false, status: 400, issues: [issue] });
  });

  it('ignores unknown parameters when lenient, but never a bad value', () => {
    expect(parseSearch('Patient', { nickname: 'x', family: 'a' }, true)).toMatchObject({ ok: true, ignored: ['nickname'], spec: { applied: [['family', 'a']] } });
    expect(parseSearch('Patient', { birthdate: 'x' }, true).ok).toBe(false);
  });

  it.each([
    ['Observation', { patient: 'Patient/p1,p2', code: 'http://loinc.org|718-7', status: 'final', date: 'ge2026' }, true],
    ['Encounter', { code: 'x' }, false],
    ['Condition', { status: 'active' }, false],
    ['Condition', { patient: 'bad id!' }, false],
    ['AllergyIntolerance', { patient: 'p1', date: '2026', code: 'x' }, true],
  ] as const)('%s %j → ok %s', (type, query, ok) => {
    expect(parseSearch(type, query, false).ok).toBe(ok);
  });
});

describe('parseToken', () => {
  it.each([
    ['s|c', { system: 's', code: 'c' }],
    ['|c', { system: '', code: 'c' }],
    ['s|', { system: 's', code: null }],
    ['c', { system: null, code: 'c' }],
  ])('%s', (text, token) => expect(parseToken(text)).toEqual(token));
});

describe('parseEverything', () => {
  it('reads _since, _type, _count', () => {
    expect(parseEverything({ _since: '2026-01-01T00:00:00Z', _type: 'Observation,Encounter', _count: '50' }, false)).toMatchObject({
      ok: true,
      spec: { since: Date.UTC(2026, 0, 1), types: ['Observation', 'Encounter'], count: 50, offset: 0 },
    });
  });
  it.each([{ start: '2020' }, { _since: 'yesterday' }, { _type: 'observation' }])('refuses %j', (query) => {
    expect(parseEverything(query, false).ok).toBe(false);
  });
});

describe('successorOf', () => {
  it.each([
    ['smi', 'smj'],
    ['a', 'b'],
    ['zz', 'z{'],
    ['mü', 'mý'],
  ])('%s → %s', (prefix, next) => expect(successorOf(prefix)).toBe(next));
});
