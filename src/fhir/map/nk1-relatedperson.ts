import { resourceId } from '../ids.ts';
import { sex0001 } from './concept-maps.ts';
import { toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { toFhirDate } from './dtm-datetime.ts';
import { compText, field, repetitions, type Segment } from './v2-reader.ts';
import { toAddress } from './xad-address.ts';
import { toContactPoint } from './xtn-contactpoint.ts';
import { toHumanName } from './xpn-humanname.ts';

// NK1 → RelatedPerson (IG "NK1[RelatedPerson]"), only when NK1-3.1 is not one the IG excludes
// (EMR, E, F, I, S: employer and organisations, not persons). Keyed by the patient and NK1-1 (set
// id): the sender numbers its next of kin, and a later A08 with the same list updates them.

const excluded = new Set(['EMR', 'E', 'F', 'I', 'S']);

export function mapRelatedPerson(nk1: Segment, patient: string, index: number, ctx: MapContext): Json | undefined {
  const { d } = ctx;
  const relationshipCode = compText(field(nk1, 3), 1, d);
  if (relationshipCode !== undefined && excluded.has(relationshipCode)) return undefined;
  const name = repetitions(field(nk1, 2), d).map((x) => toHumanName(x, ctx));
  if (name.every((n) => n === undefined)) return undefined;
  const setId = compText(field(nk1, 1), 1, d) ?? String(index + 1);
  const sex = compText(field(nk1, 15), 1, d);
  return {
    resourceType: 'RelatedPerson',
    id: resourceId('RelatedPerson', [patient, setId]),
    patient: { reference: `Patient/${patient}` },
    relationship: [toCodeableConcept(field(nk1, 3), ctx, '0063'), toCodeableConcept(field(nk1, 7), ctx, '0131')],
    name,
    telecom: [...repetitions(field(nk1, 5), d).map((x) => toContactPoint(x, ctx, 'home')), ...repetitions(field(nk1, 6), d).map((x) => toContactPoint(x, ctx, 'work'))],
    gender: sex === undefined ? undefined : (sex0001[sex] ?? 'unknown'),
    birthDate: toFhirDate(compText(field(nk1, 16), 1, d)),
    address: repetitions(field(nk1, 4), d).map((x) => toAddress(x, ctx)),
  };
}
