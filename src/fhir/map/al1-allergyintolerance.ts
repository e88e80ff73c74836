import { resourceId } from '../ids.ts';
import { allergenCategory0127, allergySeverity0128 } from './concept-maps.ts';
import { toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { comp, compText, field, repetitions, text, type Segment } from './v2-reader.ts';

// AL1 → AllergyIntolerance (IG "AL1[AllergyIntolerance]"): clinicalStatus is always active (the IG:
// invariant ait-1 requires one); AL1-2 → category (0127), AL1-3 → code, AL1-4 → criticality (0128),
// AL1-5 → reaction manifestations (text), AL1-6 → onset. Keyed by the patient and the allergen code
// (else its text, else AL1-1): an allergy is the same allergy in every message.

export function mapAllergy(al1: Segment, patient: string, ctx: MapContext): Json | undefined {
  const { d } = ctx;
  const code = toCodeableConcept(field(al1, 3), ctx);
  if (code === undefined) return undefined;
  const key = compText(field(al1, 3), 1, d) ?? (code.text as string | undefined) ?? compText(field(al1, 1), 1, d) ?? '';
  const type = compText(field(al1, 2), 1, d);
  const category = type === undefined ? undefined : allergenCategory0127[type];
  const severity = compText(field(al1, 4), 1, d);
  const reactions = repetitions(field(al1, 5), d).map((r) => text(comp(r, 1, d), d)).filter((r) => r !== undefined);
  return {
    resourceType: 'AllergyIntolerance',
    id: resourceId('AllergyIntolerance', [patient, compText(field(al1, 3), 3, d) ?? '', key]),
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    type: type === 'MA' ? 'allergy' : undefined,
    category: category === undefined ? undefined : [category],
    criticality: severity === undefined ? undefined : allergySeverity0128[severity],
    code,
    patient: { reference: `Patient/${patient}` },
    onsetDateTime: toFhirDateTime(compText(field(al1, 6), 1, d), ctx.options.defaultTimeZone),
    reaction: reactions.length === 0 ? undefined : [{ manifestation: reactions.map((r) => ({ text: r })) }],
  };
}
