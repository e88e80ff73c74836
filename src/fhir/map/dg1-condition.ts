import { resourceId } from '../ids.ts';
import { toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { compText, field, type Segment } from './v2-reader.ts';

// DG1 → Condition (IG "DG1[Condition]"): category encounter-diagnosis, code DG1-3 (DG1-4, the
// deprecated description, when DG1-3 is empty), onset DG1-5, the visit's Encounter when there is
// one. Keyed by the patient, the visit and the diagnosis code: a diagnosis repeated by a later
// event of the same visit is the same Condition.

export function mapCondition(dg1: Segment, patient: string, encounter: string | undefined, ctx: MapContext): Json | undefined {
  const { d } = ctx;
  const description = compText(field(dg1, 4), 1, d);
  const code = toCodeableConcept(field(dg1, 3), ctx) ?? (description === undefined ? undefined : { text: description });
  if (code === undefined) return undefined;
  const key = compText(field(dg1, 3), 1, d) ?? description ?? '';
  return {
    resourceType: 'Condition',
    id: resourceId('Condition', [patient, encounter ?? '', compText(field(dg1, 3), 3, d) ?? '', key]),
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis' }] }],
    code,
    subject: { reference: `Patient/${patient}` },
    encounter: encounter === undefined ? undefined : { reference: `Encounter/${encounter}` },
    onsetDateTime: toFhirDateTime(compText(field(dg1, 5), 1, d), ctx.options.defaultTimeZone),
  };
}
