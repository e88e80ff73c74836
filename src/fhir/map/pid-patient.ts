import { patientId } from '../ids.ts';
import { marital0002, sex0001, yesNo0136 } from './concept-maps.ts';
import { toCodeableConcept, v2Coding } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { toIdentifier } from './cx-identifier.ts';
import { hasTime, toFhirDate, toFhirDateTime } from './dtm-datetime.ts';
import { comp, compText, field, repetitions, text, type Segment } from './v2-reader.ts';
import { toAddress } from './xad-address.ts';
import { toContactPoint } from './xtn-contactpoint.ts';
import { toHumanName } from './xpn-humanname.ts';

// PID → Patient (IG "PID[Patient]"). Not mapped: PID-10/22 (race, ethnicity: US Core extensions,
// a realm choice), PID-17 religion, PID-18 account, PID-33/34 (Provenance).

/** The CX that names the patient (src/hl7/patient.ts: the PID-3 repetition typed MR, else the first with a value). */
export function identifyingCx(pid: Segment, ctx: MapContext): { value: string; authority: string | null } | undefined {
  const { d } = ctx;
  let chosen: { value: string; authority: string | null } | undefined;
  for (const rep of repetitions(field(pid, 3), d)) {
    const value = text(comp(rep, 1, d), d);
    if (value === undefined) continue;
    const isMr = text(comp(rep, 5, d), d) === 'MR';
    if (chosen === undefined || isMr) chosen = { value, authority: text(comp(rep, 4, d), d) ?? null };
    if (isMr) break;
  }
  return chosen;
}

export function patientIdOf(pid: Segment, ctx: MapContext): string | undefined {
  const cx = identifyingCx(pid, ctx);
  return cx === undefined ? undefined : patientId(cx.value, cx.authority);
}

export function mapPatient(pid: Segment, id: string, ctx: MapContext): Json {
  const { d } = ctx;
  const zone = ctx.options.defaultTimeZone;
  const reps = (n: number): string[] => repetitions(field(pid, n), d);
  const birth = compText(field(pid, 7), 1, d);
  const sex = compText(field(pid, 8), 1, d);
  const deceasedAt = toFhirDateTime(compText(field(pid, 29), 1, d), zone);
  const deceased = compText(field(pid, 30), 1, d);
  const multiple = compText(field(pid, 24), 1, d);
  const order = Number(compText(field(pid, 25), 1, d));
  const mothersMaiden = reps(6).map((x) => toHumanName(x, ctx)).find((n) => n !== undefined);
  const birthTime = hasTime(birth) ? toFhirDateTime(birth, zone) : undefined;
  return {
    resourceType: 'Patient',
    id,
    extension: [
      mothersMaiden?.family === undefined ? undefined : { url: 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName', valueString: mothersMaiden.family },
    ],
    identifier: [...reps(2), ...reps(3), ...reps(4)].map((cx) => toIdentifier(cx, ctx)),
    name: [...reps(5), ...reps(9)].map((x) => toHumanName(x, ctx)),
    telecom: [...reps(13).map((x) => toContactPoint(x, ctx, 'home')), ...reps(14).map((x) => toContactPoint(x, ctx, 'work'))],
    gender: sex === undefined ? undefined : (sex0001[sex] ?? 'unknown'),
    birthDate: toFhirDate(birth),
    _birthDate: birthTime === undefined ? undefined : { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime', valueDateTime: birthTime }] },
    deceasedDateTime: deceasedAt,
    deceasedBoolean: deceasedAt === undefined && deceased !== undefined ? yesNo0136[deceased] : undefined,
    address: reps(11).map((x) => toAddress(x, ctx)),
    maritalStatus: maritalStatus(field(pid, 16), ctx),
    multipleBirthInteger: Number.isInteger(order) && order > 0 ? order : undefined,
    multipleBirthBoolean: Number.isInteger(order) && order > 0 ? undefined : multiple === undefined ? undefined : yesNo0136[multiple],
    communication: reps(15)
      .map((x) => toCodeableConcept(x, ctx, '0296'))
      .map((language) => (language === undefined ? undefined : { language })),
  };
}

/** PID-16 (0002) → the v3 code the IG maps it to, beside the v2 code as sent. */
function maritalStatus(value: string, ctx: MapContext): Json | undefined {
  const { d } = ctx;
  const code = compText(value, 1, d);
  if (code === undefined) return undefined;
  const mapped = marital0002[code];
  return { coding: [mapped, v2Coding('0002', code, compText(value, 2, d))], text: compText(value, 2, d) };
}
