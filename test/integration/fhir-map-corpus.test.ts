import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapMessage } from '../../src/fhir/map/index.ts';
import { corpusDir, corpusRows } from '../support/corpus.ts';
import { fhirIssues } from '../support/fhir-validate.ts';
import { resourceOf } from '../support/fhir-writes.ts';

// Every resource the mapping makes from the public corpus is valid FHIR R4 (three validators,
// test/support/fhir-validate.ts), and mapping is deterministic: same input, same bytes.

const options = { defaultTimeZone: 'Europe/Zurich', identifierSystems: { 'GOOD HEALTH HOSPITAL': 'urn:oid:2.16.840.1.113883.3.999' } };

// The mapped kinds that must map: a message of these types that fails must say why (and is listed).
const expectedFailures: Record<string, string> = {
  'valid/hapi__EscapeTest_ORU_FT_br_H_N.hl7': 'no PID',
  'valid/hapi__NewPipeParserTest_ADT_A08_v22.hl7': 'no PID',
  'valid/nodehl7__NTE_escapes_F_S_R_T_E_v27.hl7': 'no PID',
  'valid/nodehl7__NTE_hex_escape_X4869_v27.hl7': 'no PID',
  'valid/nodehl7__NTE_control_escapes_C_H_M_N_Z_v27.hl7': 'no PID',
  'valid/nodehl7client__MSH_only_ADT_A01_v271.hl7': 'no PID',
  'valid/rethink__edge-empty-segments.hl7': 'PID-3 empty',
};

const mappedTypes = /^(ADT\^A(01|03|04|05|08|11|13|28|31|40)|ORU\^R01|SIU\^S(1[2-9]|2[0-46]))\b/;

const rows = corpusRows.filter((row) => row.file.startsWith('valid/'));

describe('FHIR mapping of the public corpus', () => {
  it.each(rows.map((row) => [row.file]))('%s: every resource is valid R4, and mapping twice gives the same bytes', (file) => {
    const raw = readFileSync(join(corpusDir, file), 'latin1');
    const result = mapMessage(raw, options);
    expect(JSON.stringify(mapMessage(raw, options))).toBe(JSON.stringify(result));
    const msh9 = (raw.split(/\r\n|\r|\n/)[0] ?? '').split('|')[8] ?? '';
    if (!result.ok) {
      if (mappedTypes.test(msh9)) expect(expectedFailures[file], result.error).toBeDefined();
      return;
    }
    expect(expectedFailures[file]).toBeUndefined();
    expect(result.projection.eventTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$/);
    const issues = result.projection.writes.flatMap((w) => {
      const resource = resourceOf(w);
      return fhirIssues(resource).map((issue) => `${resource.resourceType}: ${issue}`);
    });
    expect(issues).toEqual([]);
  });
});
