import { describe, expect, it } from 'vitest';
import { indexRowsOf } from './index-rows.ts';

describe('indexRowsOf', () => {
  it('indexes a Patient: names normalized, identifiers, birth range, gender, its survivor', () => {
    const rows = indexRowsOf({
      resourceType: 'Patient',
      id: 'p1',
      gender: 'female',
      birthDate: '1970-05',
      name: [{ family: 'Müller', given: ['Ann', 'Ann'], prefix: ['Dr'] }, { text: 'Ann Müller' }],
      identifier: [{ system: 'urn:oid:1', value: 'A' }, { value: 'B' }, { system: 'x' }],
      link: [{ type: 'replaced-by', other: { reference: 'Patient/p9' } }],
    });
    expect(rows.patient).toEqual({
      gender: 'female',
      birth: { lo: Date.UTC(1970, 4, 1), hi: Date.UTC(1970, 5, 1) },
      names: [
        { part: 'family', exact: 'Müller', norm: 'muller' },
        { part: 'given', exact: 'Ann', norm: 'ann' },
        { part: 'prefix', exact: 'Dr', norm: 'dr' },
        { part: 'text', exact: 'Ann Müller', norm: 'ann muller' },
      ],
      identifiers: [{ system: 'urn:oid:1', value: 'A' }, { system: '', value: 'B' }],
    });
    expect(rows.mergedInto).toBe('p9');
    expect(rows.compartment.map((c) => c.patientId)).toEqual(['p1']);
  });

  it.each([
    ['Observation', { effectiveDateTime: '2026-01-01' }, Date.UTC(2026, 0, 1), 'final'],
    ['Encounter', { period: { start: '2026-01-01T10:00:00Z' } }, Date.UTC(2026, 0, 1, 10), 'final'],
    ['Appointment', { start: '2026-01-01T10:00:00Z' }, Date.UTC(2026, 0, 1, 10), 'final'],
    ['Condition', { onsetDateTime: '2026-01-01' }, null, null],
  ])('indexes a %s by the patients it references, its date and status', (type, dated, lo, status) => {
    const rows = indexRowsOf({
      resourceType: type,
      id: 'r1',
      status: 'final',
      ...dated,
      subject: { reference: 'Patient/p1' },
      participant: [{ actor: { reference: 'Patient/p2' } }, { actor: { reference: 'Practitioner/d1' } }],
      code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
    });
    expect(rows.compartment.map((c) => c.patientId)).toEqual(['p1', 'p2']);
    expect(rows.compartment[0]?.date?.lo ?? null).toBe(lo);
    expect(rows.compartment[0]?.status).toBe(status);
    expect(rows.codes).toEqual(type === 'Observation' || type === 'Condition' ? [{ system: 'http://loinc.org', code: '718-7' }] : []);
  });
});
