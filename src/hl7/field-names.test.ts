import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normaliseName, render } from '../../scripts/hl7-field-names.ts';
import { datatypeComponents, segmentDefinitions } from './field-names.ts';

// The committed table is what the generator writes from hl7-dictionary now, and it holds what the
// console notes measured in the dictionary (fields per segment).

describe('src/hl7/field-names.ts', () => {
  it('is what scripts/hl7-field-names.ts writes (run it again after changing either)', () => {
    expect(readFileSync(new URL('./field-names.ts', import.meta.url), 'utf8')).toBe(render());
  });

  it.each([
    ['MSH', 21], ['EVN', 7], ['PID', 39], ['PD1', 21], ['NK1', 39], ['PV1', 52], ['PV2', 49], ['AL1', 6], ['DG1', 21], ['ORC', 31],
    ['OBR', 50], ['OBX', 25], ['NTE', 4], ['SPM', 29], ['SCH', 27], ['AIS', 12], ['AIG', 14], ['AIL', 12], ['AIP', 12], ['MRG', 7],
  ])('%s has %i fields', (segment, count) => {
    expect(segmentDefinitions[segment]?.[1]).toHaveLength(count);
  });

  it('names the components of the composite types, and of their composite components', () => {
    expect(datatypeComponents.CX?.[3]).toEqual(['Assigning Authority', 'HD']);
    expect(datatypeComponents.HD?.map(([name]) => name)).toEqual(['Namespace ID', 'Universal ID', 'Universal ID Type']);
    expect(datatypeComponents.XCN?.[0]).toEqual(['ID Number', 'ST']);
    expect(datatypeComponents.XPN?.[0]).toEqual(['Family Name', 'FN']);
    expect(datatypeComponents.FN?.[0]).toEqual(['Surname', 'ST']);
  });

  it.each([
    ['Set ID _ SPM', 'Set ID - SPM'],
    ['Medically Necessary Duplicate Procedure Reason.', 'Medically Necessary Duplicate Procedure Reason'],
    ['Patient Primary Care Provider Name and ID No.', 'Patient Primary Care Provider Name and ID No.'],
    [' Patient Name ', 'Patient Name'],
  ])('normalises %j to %j', (raw, name) => {
    expect(normaliseName(raw)).toBe(name);
  });
});
