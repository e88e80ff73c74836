import { describe, expect, it } from 'vitest';
import { encounterId, patientId, resourceId } from './ids.ts';

describe('deterministic resource ids', () => {
  it('gives the same id for the same parts, on every call', () => {
    expect(patientId('PATID1234', 'HOSP')).toBe(patientId('PATID1234', 'HOSP'));
    // Pinned: an id scheme change would orphan every stored resource.
    expect(patientId('PATID1234', 'HOSP')).toBe('0bdc873907b06e2f71922b989b924064d1bc37f85640c4ce430246f5edda7669');
  });

  it('fits the FHIR id pattern', () => {
    for (const id of [patientId('x', null), encounterId('v', ''), resourceId('Observation', ['a'.repeat(5000)])]) {
      expect(id).toMatch(/^[A-Za-z0-9\-.]{1,64}$/);
    }
  });

  it.each([
    ['types differ', resourceId('Encounter', ['V1']), resourceId('Observation', ['V1'])],
    ['authority differs', patientId('123', 'A'), patientId('123', 'B')],
    ['no authority vs empty-looking one', patientId('123', null), patientId('123', '""')],
    ['parts split differently', resourceId('Observation', ['a|b', 'c']), resourceId('Observation', ['a', 'b|c'])],
  ])('never collides when %s', (_, a, b) => {
    expect(a).not.toBe(b);
  });
});
