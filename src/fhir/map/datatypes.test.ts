import { describe, expect, it } from 'vitest';
import { defaultDelimiters } from '../../hl7/delimiters.ts';
import { compact } from './compact.ts';
import type { MapContext } from './context.ts';
import { toCodeableConcept } from './cwe-codeableconcept.ts';
import { toIdentifier } from './cx-identifier.ts';
import { toAddress } from './xad-address.ts';
import { toContactPoint } from './xtn-contactpoint.ts';
import { toHumanName } from './xpn-humanname.ts';

// The IG's datatype maps, one table per map: v2 value as written → FHIR JSON (after compact()).

const ctx: MapContext = {
  d: defaultDelimiters,
  options: { defaultTimeZone: 'Europe/Zurich', identifierSystems: { HOSP: 'https://hospital.example.org/mrn', 'LAB&1.2.3&ISO': 'https://lab.example.org/id' } },
};

describe('CX → Identifier', () => {
  it.each([
    ['no authority: no system, nothing invented', '12345', { value: '12345' }],
    ['configured namespace', '12345^^^HOSP^MR', { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'https://hospital.example.org/mrn', value: '12345' }],
    ['configured HD as written wins over urn:oid', '7^^^LAB&1.2.3&ISO', { system: 'https://lab.example.org/id', value: '7' }],
    ['ISO-typed HD → urn:oid', '7^^^X&2.16.840.1.113883.19&ISO', { system: 'urn:oid:2.16.840.1.113883.19', value: '7' }],
    ['UUID-typed HD → urn:uuid', '7^^^&6F9619FF-8B86-D011-B42D-00C04FC964FF&UUID', { system: 'urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff', value: '7' }],
    ['ISO type on a value that is no OID: no system', '7^^^X&not-an-oid&ISO', { value: '7', assigner: { display: 'X' } }],
    ['unknown namespace: kept as assigner, no system', '7^^^CLINIC', { value: '7', assigner: { display: 'CLINIC' } }],
    ['escaped delimiter in the value', '12\\S\\34', { value: '12^34' }],
    ['period from CX-7/CX-8', '7^^^^^^20200101^20201231', { value: '7', period: { start: '2020-01-01', end: '2020-12-31' } }],
  ])('%s', (_, cx, expected) => {
    expect(compact(toIdentifier(cx, ctx))).toEqual(expected);
  });

  it('gives nothing for an empty CX-1 or HL7 null', () => {
    expect(toIdentifier('^^^HOSP', ctx)).toBeUndefined();
    expect(toIdentifier('""', ctx)).toBeUndefined();
  });
});

describe('XPN → HumanName', () => {
  it.each([
    ['family and given', 'DOE^JANE', { family: 'DOE', given: ['JANE'] }],
    ['middle names split, prefix, suffixes, use', 'DOE^JANE^MARY ANN^JR^DR^MD^L', { use: 'official', family: 'DOE', given: ['JANE', 'MARY', 'ANN'], prefix: ['DR'], suffix: ['JR', 'MD'] }],
    ['family as FN sub-components: the surname', 'VAN DAM&van&DAM^PIET^^^^^D', { use: 'usual', family: 'VAN DAM', given: ['PIET'] }],
    ['maiden name', 'SMITH^ANNE^^^^^M', { use: 'maiden', family: 'SMITH', given: ['ANNE'] }],
    ['unknown name type: no use', 'X^Y^^^^^ZZ', { family: 'X', given: ['Y'] }],
  ])('%s', (_, xpn, expected) => {
    expect(compact(toHumanName(xpn, ctx))).toEqual(expected);
  });
});

describe('XAD → Address', () => {
  it.each([
    ['full home address', '1 Main St^Apt 2^Springfield^IL^62701^USA^H', { use: 'home', line: ['1 Main St', 'Apt 2'], city: 'Springfield', state: 'IL', postalCode: '62701', country: 'USA' }],
    ['mailing → type postal', '1 Main St^^Town^^^^M', { type: 'postal', line: ['1 Main St'], city: 'Town' }],
    ['SAD sub-components make one line', '10&Downing Street^^London', { line: ['10 Downing Street'], city: 'London' }],
    ['district from XAD-9', '^^Bern^^^CHE^^^Mittelland', { city: 'Bern', country: 'CHE', district: 'Mittelland' }],
  ])('%s', (_, xad, expected) => {
    expect(compact(toAddress(xad, ctx))).toEqual(expected);
  });
});

describe('XTN → ContactPoint', () => {
  it.each([
    ['formatted number, PID-13 default use home', '(555)555-1234', 'home', { system: 'phone', value: '(555)555-1234', use: 'home' }],
    ['work number', '^WPN^PH^^1^555^5551234', undefined, { system: 'phone', value: '+1 555 5551234', use: 'work' }],
    ['e-mail from XTN-4', '^NET^Internet^jane@example.org', undefined, { system: 'email', value: 'jane@example.org' }],
    ['cell phone: phone + mobile', '^PRN^CP^^^555^1234567', 'home', { system: 'phone', value: '555 1234567', use: 'mobile' }],
    ['fax', '555-1234^WPN^FX', undefined, { system: 'fax', value: '555-1234', use: 'work' }],
    ['unformatted number XTN-12 wins', '(555) 111^PRN^PH^^^^^^^^^+15551112222', undefined, { system: 'phone', value: '+15551112222', use: 'home' }],
  ])('%s', (_, xtn, use, expected) => {
    expect(compact(toContactPoint(xtn, ctx, use))).toEqual(expected);
  });
});

describe('CWE → CodeableConcept', () => {
  it.each([
    ['LOINC', '8867-4^Heart rate^LN', { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] }],
    ['two triplets and original text', '1234^Local^L^8867-4^Heart rate^LN^^^HR', { coding: [{ code: '1234', display: 'Local' }, { system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }], text: 'HR' }],
    ['HL7 table named in CWE-3', 'M^Married^HL70002', { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0002', code: 'M', display: 'Married' }] }],
    ['unknown system name: no system invented', 'X1^Thing^LOCALXYZ', { coding: [{ code: 'X1', display: 'Thing' }] }],
    ['text only', '^Free text only', { text: 'Free text only' }],
  ])('%s', (_, cwe, expected) => {
    expect(compact(toCodeableConcept(cwe, ctx))).toEqual(expected);
  });

  it('uses the default v2 table when CWE-3 is empty', () => {
    expect(compact(toCodeableConcept('R', ctx, '0092'))).toEqual({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0092', code: 'R' }] });
  });
});
