import { describe, expect, it } from 'vitest';
import { fhirIssues } from '../support/fhir-validate.ts';

// The validator the mapping tests rely on catches what each of its three layers is there for
// (fhir-notes.md §6.1): otherwise "zero issues" would prove nothing.

const patient = { resourceType: 'Patient', id: 'p1', gender: 'female', birthDate: '1980-01-02' };

describe('fhirIssues', () => {
  it('passes a valid resource', () => {
    expect(fhirIssues(patient)).toEqual([]);
  });

  it.each([
    ['a code outside a required binding (FHIR.js, ajv)', { ...patient, gender: 'F' }, /fhir\.js: Patient\.gender/],
    ['a CodeableConcept outside a required binding (FHIR.js)', { resourceType: 'AllergyIntolerance', id: 'a', patient: { reference: 'Patient/p1' }, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'bogus' }] } }, /fhir\.js: AllergyIntolerance\.clinicalStatus/],
    ['a missing required element (medplum)', { resourceType: 'Observation', id: 'o', code: { text: 'x' } }, /medplum: Observation\.status/],
    ['a dateTime with a time but no zone (ajv)', { ...patient, deceasedDateTime: '2020-01-01T10:00:00' }, /ajv: \/deceasedDateTime/],
    ['an id outside [A-Za-z0-9-.]{1,64} (ajv)', { ...patient, id: 'a_b' }, /ajv: \/id/],
    ['a date in v2 form (medplum)', { ...patient, birthDate: '19800102' }, /medplum: Patient\.birthDate/],
    ['an unknown property (medplum)', { ...patient, colour: 'blue' }, /medplum/],
    ['a broken invariant: booked without start and end (medplum, app-3)', { resourceType: 'Appointment', id: 'a', status: 'booked', participant: [{ status: 'accepted', actor: { display: 'x' } }] }, /medplum: .*app-3/],
  ])('reports %s', (_, resource, expected) => {
    const issues = fhirIssues(resource);
    expect(issues.some((i) => expected.test(i)), issues.join('\n')).toBe(true);
  });
});
