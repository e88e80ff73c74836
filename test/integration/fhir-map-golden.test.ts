import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapMessage } from '../../src/fhir/map/index.ts';
import { corpusDir } from '../support/corpus.ts';

// Golden files: the whole MapResult for a few messages of each kind, reviewed by hand once and
// then held byte for byte (any change to the mapping shows up here as a diff to review). After an
// intended change: HL7_UPDATE_GOLDEN=1 npx vitest run test/integration/fhir-map-golden.test.ts,
// then read the diff before committing it.

const goldenDir = join(corpusDir, '..', 'fhir-golden');
const options = { defaultTimeZone: 'Europe/Zurich', identifierSystems: { 'GOOD HEALTH HOSPITAL': 'urn:oid:2.16.840.1.113883.3.999', BCBS: 'https://bcbs.example.org/member' } };

const inputs = [
  'valid/msfhir__ADT-A01-01.hl7',
  'valid/msfhir__ADT-A03-01.hl7',
  'valid/msfhir__ADT-A08-01.hl7',
  'valid/msfhir__ADT-A11-01.hl7',
  'valid/msfhir__ADT-A40-02.hl7',
  'valid/hapi__docs_example_ADT_A01_v24.hl7',
  'valid/rubyhl7__ORU_R01_2.5.1_SampleTestCase6.hl7',
  'valid/msfhir__LAB-ORU-1.hl7',
  'valid/rethink__oru-r01-lab.hl7',
  'valid/msfhir__SIU-S12-01.hl7',
  'valid/msfhir__SIU-S15-01.hl7',
  'valid/msfhir__SIU-S26-01.hl7',
  'valid/hapi__NewPipeParserTest_SIU_S14_v23.hl7',
];

describe('FHIR mapping golden files', () => {
  it.each(inputs.map((file) => [file]))('%s maps to its golden file', (file) => {
    const result = mapMessage(readFileSync(join(corpusDir, file), 'latin1'), options);
    const actual = `${JSON.stringify(result, null, 2)}\n`;
    const golden = join(goldenDir, `${file.replace(/^valid\//, '').replace(/\.hl7$/, '')}.json`);
    if (process.env.HL7_UPDATE_GOLDEN === '1') writeFileSync(golden, actual);
    expect(result.ok).toBe(true);
    expect(existsSync(golden), `${golden} is missing: write it with HL7_UPDATE_GOLDEN=1`).toBe(true);
    expect(actual).toBe(readFileSync(golden, 'utf8'));
  });
});
