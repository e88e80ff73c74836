import { resourceId } from '../ids.ts';
import { interpretation0078, resultStatus0085, v2System } from './concept-maps.ts';
import { fhirCode, toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { observationValue } from './obx-value.ts';
import { compText, field, repetitions, text, type Segment } from './v2-reader.ts';
import { xcnToReference } from './xpn-humanname.ts';

// OBX → Observation (IG "OBX[Observation]"): status OBX-11 (0085), code OBX-3, value by OBX-2,
// reference range OBX-7 (text), interpretation OBX-8 (0078), effective OBX-14 else the order's
// OBR-7, performer OBX-16, method OBX-17, body site OBX-20, notes from the NTEs that follow it.
// Keyed by the order (filler order number, else placer), the specimen if any, OBX-1 (set id),
// OBX-4 (sub-id) and OBX-3 (the code).

export type ObservationInput = {
  obx: Segment;
  notes: Segment[];
  index: number;
  orderKey: string;
  specimen?: { id: string; key: string } | undefined;
  patient: string;
  encounter?: string | undefined;
  orderTime?: string | undefined;
};

/** Observation.code is required: data-absent-reason `unknown` when OBX-3 is empty. */
const absentCode = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown' }] };

export function observationIdOf(input: ObservationInput, ctx: MapContext): string {
  const { d } = ctx;
  const { obx } = input;
  const setId = compText(field(obx, 1), 1, d) ?? `#${input.index + 1}`;
  const code = [compText(field(obx, 3), 3, d) ?? '', compText(field(obx, 3), 1, d) ?? compText(field(obx, 3), 2, d) ?? ''].join('|');
  return resourceId('Observation', [input.orderKey, input.specimen?.key ?? '', setId, compText(field(obx, 4), 1, d) ?? '', code]);
}

export function mapObservation(input: ObservationInput, ctx: MapContext): Json {
  const { d } = ctx;
  const { obx } = input;
  const statusCode = compText(field(obx, 11), 1, d);
  const status = (statusCode === undefined ? undefined : resultStatus0085[statusCode]) ?? 'unknown';
  const type = compText(field(obx, 2), 1, d)?.toUpperCase() ?? '';
  const value = status === 'cancelled' || statusCode === 'N' ? {} : observationValue(type, field(obx, 5), field(obx, 6), ctx);
  // observationValue writes at most one value[x] member (an ED's extension aside).
  const valueKey = Object.keys(value).find((k) => k.startsWith('value')) ?? 'value';
  const hasValue = value[valueKey] !== undefined;
  const range = compText(field(obx, 7), 1, d);
  const notes = input.notes.map((nte) => repetitions(field(nte, 3), d).map((r) => text(r, d)).filter((t) => t !== undefined).join('\n'));
  const specimen = input.specimen === undefined ? undefined : { reference: `Specimen/${input.specimen.id}` };
  return {
    resourceType: 'Observation',
    id: observationIdOf(input, ctx),
    extension: (value.extension as Json[] | undefined) ?? [],
    status,
    category: [toCodeableConcept(field(obx, 29), ctx, '0936')],
    code: toCodeableConcept(field(obx, 3), ctx) ?? absentCode,
    subject: { reference: `Patient/${input.patient}` },
    focus: specimen === undefined ? undefined : [specimen],
    encounter: input.encounter === undefined ? undefined : { reference: `Encounter/${input.encounter}` },
    effectiveDateTime: toFhirDateTime(compText(field(obx, 14), 1, d), ctx.options.defaultTimeZone) ?? input.orderTime,
    performer: repetitions(field(obx, 16), d).map((x) => xcnToReference(x, ctx)),
    [valueKey]: value[valueKey],
    // IG: N (not asked) has no value and says why.
    dataAbsentReason: statusCode === 'N' && !hasValue ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'not-asked' }] } : undefined,
    interpretation: repetitions(field(obx, 8), d).map((flag) => interpretation(flag, ctx)),
    note: notes.filter((n) => n !== '').map((n) => ({ text: n })),
    bodySite: toCodeableConcept(field(obx, 20), ctx),
    method: toCodeableConcept(field(obx, 17), ctx),
    specimen,
    referenceRange: range === undefined ? [] : [{ text: range }],
  };
}

/** OBX-8: the v3 interpretation code where 0078 shares it, the v2 code beside it. */
function interpretation(flag: string, ctx: MapContext): Json | undefined {
  const code = compText(flag, 1, ctx.d);
  if (code === undefined) return undefined;
  const v3 = interpretation0078[code];
  return {
    coding: [
      v3 === undefined ? undefined : { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: v3 },
      { system: v2System('0078'), code: fhirCode(code) },
    ],
    text: compText(flag, 2, ctx.d),
  };
}
