import { encounterId } from '../ids.ts';
import { class0004, classStatus0004 } from './concept-maps.ts';
import { toCodeableConcept, v2Coding } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { toIdentifier } from './cx-identifier.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { comp, compText, field, repetitions, text, type Segment } from './v2-reader.ts';
import { xcnToReference } from './xpn-humanname.ts';

// PV1 (+ PV2) → Encounter (IG "PV1[Encounter]", "PV2[Encounter]"). Keyed by PV1-19 (visit number):
// without one there is no Encounter, since no later event (A03, A08, A11) could find it again.
// Locations and practitioners are display references (no Location/Practitioner resources).

export function encounterIdOf(pv1: Segment | undefined, ctx: MapContext): string | undefined {
  const { d } = ctx;
  const visit = repetitions(field(pv1, 19), d)[0] ?? '';
  const value = text(comp(visit, 1, d), d);
  if (value === undefined) return undefined;
  return encounterId(value, text(comp(visit, 4, d), d) ?? '');
}

/** Encounter.status: PV1-45 valued → finished; else the event's (0003) when given, else PV1-2 (0004). */
export function encounterStatus(pv1: Segment, eventStatus: string | undefined, ctx: MapContext): string {
  if (compText(field(pv1, 45), 1, ctx.d) !== undefined) return 'finished';
  if (eventStatus !== undefined) return eventStatus;
  const patientClass = compText(field(pv1, 2), 1, ctx.d);
  return (patientClass === undefined ? undefined : classStatus0004[patientClass]) ?? 'unknown';
}

/** PV1-2 → Encounter.class (required 1..1: v3-NullFlavor UNK when PV1-2 is empty). */
export function encounterClass(pv1: Segment, ctx: MapContext): Json {
  const code = compText(field(pv1, 2), 1, ctx.d);
  if (code === undefined) return { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK' };
  return class0004[code] ?? v2Coding('0004', code);
}

export function encounterPeriod(pv1: Segment, ctx: MapContext): Json {
  const zone = ctx.options.defaultTimeZone;
  return { start: toFhirDateTime(compText(field(pv1, 44), 1, ctx.d), zone), end: toFhirDateTime(compText(field(pv1, 45), 1, ctx.d), zone) };
}

export function mapEncounter(pv1: Segment, pv2: Segment | undefined, id: string, patient: string, status: string, ctx: MapContext): Json {
  const { d } = ctx;
  const participant = (n: number, code: string): Json[] =>
    repetitions(field(pv1, n), d).map((xcn) => {
      const individual = xcnToReference(xcn, ctx);
      return individual === undefined ? {} : { type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code }] }], individual };
    });
  const location = locationText(field(pv1, 3), ctx);
  const visit = repetitions(field(pv1, 19), d)[0] ?? '';
  const visitId = toIdentifier(visit, ctx);
  return {
    resourceType: 'Encounter',
    id,
    identifier: [visitId === undefined ? undefined : { ...visitId, type: { coding: [v2Coding('0203', 'VN')] } }],
    status,
    class: encounterClass(pv1, ctx),
    type: [toCodeableConcept(field(pv1, 4), ctx, '0007')],
    serviceType: toCodeableConcept(field(pv1, 10), ctx, '0069'),
    priority: pv2 === undefined ? undefined : toCodeableConcept(field(pv2, 25), ctx, '0217'),
    subject: { reference: `Patient/${patient}` },
    participant: [...participant(7, 'ATND'), ...participant(8, 'REF'), ...participant(9, 'CON'), ...participant(17, 'ADM')],
    period: encounterPeriod(pv1, ctx),
    reasonCode: pv2 === undefined ? [] : [toCodeableConcept(field(pv2, 3), ctx)],
    hospitalization: {
      admitSource: toCodeableConcept(field(pv1, 14), ctx, '0023'),
      reAdmission: toCodeableConcept(field(pv1, 13), ctx, '0092'),
      dischargeDisposition: toCodeableConcept(field(pv1, 36), ctx, '0112'),
    },
    location: location === undefined ? [] : [{ location: { display: location } }],
  };
}

/** PL → one line: point of care, room, bed, facility, building, floor (whatever is there). */
function locationText(pl: string, ctx: MapContext): string | undefined {
  const { d } = ctx;
  const parts = [1, 2, 3, 4, 7, 8].map((n) => compText(pl, n, d)).filter((p) => p !== undefined);
  return parts.length === 0 ? undefined : parts.join(' ');
}

export { locationText };
