import { describe, expect, it } from 'vitest';
import { defaultDelimiters } from '../../hl7/delimiters.ts';
import { compact } from './compact.ts';
import type { MapContext } from './context.ts';
import { attachmentExtension, observationValue } from './obx-value.ts';

// OBX-5 by OBX-2 (IG "OBX[Observation]"): value as written, OBX-6 units → value[x].

const ctx: MapContext = { d: defaultDelimiters, options: { defaultTimeZone: 'UTC', identifierSystems: {} } };
const ucum = 'http://unitsofmeasure.org';

describe('OBX-5 → value[x]', () => {
  it.each([
    ['NM with a UCUM unit as written', 'NM', '5.4', 'mmol/L', { valueQuantity: { value: 5.4, unit: 'mmol/L', system: ucum, code: 'mmol/L' } }],
    ['NM with a common alias', 'NM', '72', 'beats/min^^ISO', { valueQuantity: { value: 72, unit: 'beats/min', system: ucum, code: '/min' } }],
    ['NM with UCUM named in OBX-6.3', 'NM', '1.5', 'mg/dL^milligram per deciliter^UCUM', { valueQuantity: { value: 1.5, unit: 'milligram per deciliter', system: ucum, code: 'mg/dL' } }],
    ['NM with an unknown unit: text only, no code', 'NM', '3', 'widgets', { valueQuantity: { value: 3, unit: 'widgets' } }],
    ['NM with a leading + and zeros', 'NM', '+007.50', '', { valueQuantity: { value: 7.5 } }],
    ['NM that is no number: kept as text', 'NM', 'see note', '', { valueString: 'see note' }],
    ['ST', 'ST', 'Positive', '', { valueString: 'Positive' }],
    ['FT repetitions and \\.br\\ become lines', 'FT', 'line 1\\.br\\line 2~line 3', '', { valueString: 'line 1\nline 2\nline 3' }],
    ['CWE', 'CWE', '260373001^Detected^SCT', '', { valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '260373001', display: 'Detected' }] } }],
    ['CE', 'CE', 'POS^Positive^L', '', { valueCodeableConcept: { coding: [{ code: 'POS', display: 'Positive' }] } }],
    ['DT stays a date', 'DT', '20240315', '', { valueDateTime: '2024-03-15' }],
    ['DTM gets the zone', 'DTM', '202403151200', '', { valueDateTime: '2024-03-15T12:00:00+00:00' }],
    ['TS (pre-2.5) like DTM', 'TS', '20240315120000+0100', '', { valueDateTime: '2024-03-15T12:00:00+01:00' }],
    ['TM', 'TM', '1430', '', { valueTime: '14:30:00' }],
    ['SN comparator', 'SN', '>^100', 'mg/dL', { valueQuantity: { value: 100, comparator: '>', unit: 'mg/dL', system: ucum, code: 'mg/dL' } }],
    ['SN plain number', 'SN', '^42', '', { valueQuantity: { value: 42 } }],
    ['SN ratio', 'SN', '^1^:^128', '', { valueRatio: { numerator: { value: 1 }, denominator: { value: 128 } } }],
    ['SN range', 'SN', '^10^-^20', 'g/L', { valueRange: { low: { value: 10, unit: 'g/L', system: ucum, code: 'g/L' }, high: { value: 20, unit: 'g/L', system: ucum, code: 'g/L' } } }],
    ['SN <> is text', 'SN', '<>^5', '', { valueString: '<>5' }],
    ['SN with a + suffix is text', 'SN', '^2^+', '', { valueString: '2+' }],
    ['NR', 'NR', '3.5^5.0', 'g/dL', { valueRange: { low: { value: 3.5, unit: 'g/dL', system: ucum, code: 'g/dL' }, high: { value: 5, unit: 'g/dL', system: ucum, code: 'g/dL' } } }],
    ['ED base64 → R5 backport attachment', 'ED', 'LAB^AP^PDF^Base64^JVBERi0x', '', { extension: [{ url: attachmentExtension, valueAttachment: { contentType: 'application/pdf', data: 'JVBERi0x' } }] }],
    ['ED plain text data is base64-encoded', 'ED', '^TEXT^plain^A^hello', '', { extension: [{ url: attachmentExtension, valueAttachment: { contentType: 'text/plain', data: 'aGVsbG8=' } }] }],
    ['an unlisted type is kept as text', 'XYZ', 'abc', '', { valueString: 'abc' }],
    ['empty OBX-5: no value', 'NM', '', '', undefined],
  ])('%s', (_, type, value, units, expected) => {
    expect(compact(observationValue(type, value, units, ctx))).toEqual(expected);
  });
});
