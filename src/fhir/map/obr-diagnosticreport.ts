import { resourceId } from '../ids.ts';
import { reportStatus0123 } from './concept-maps.ts';
import { fhirCode, toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { eiKey, eiToIdentifier } from './cx-identifier.ts';
import { toFhirDateTime, toFhirInstant } from './dtm-datetime.ts';
import { compText, field, type Segment } from './v2-reader.ts';

// OBR (+ ORC) → DiagnosticReport (IG "OBR[DiagnosticReport]"): identifiers OBR-2/OBR-3 (ORC-2/ORC-3
// when OBR leaves them empty), code OBR-4, effective OBR-7 (a period when OBR-8 is valued), issued
// OBR-22, category OBR-24 (0074), status OBR-25 (0123).

/** The order's key: filler order number, else placer order number, as `F:`/`P:` + EI key. */
export function orderKeyOf(obr: Segment | undefined, orc: Segment | undefined, ctx: MapContext): string | undefined {
  const filler = eiKey(field(obr, 3), ctx) ?? eiKey(field(orc, 3), ctx);
  if (filler !== undefined) return `F:${filler}`;
  const placer = eiKey(field(obr, 2), ctx) ?? eiKey(field(orc, 2), ctx);
  return placer === undefined ? undefined : `P:${placer}`;
}

export function reportIdOf(orderKey: string): string {
  return resourceId('DiagnosticReport', [orderKey]);
}

export type ReportInput = {
  obr: Segment;
  orc?: Segment | undefined;
  id: string;
  patient: string;
  encounter?: string | undefined;
  results: string[];
  specimens: string[];
};

export function mapDiagnosticReport(input: ReportInput, ctx: MapContext): Json {
  const { d } = ctx;
  const { obr, orc } = input;
  const zone = ctx.options.defaultTimeZone;
  const statusCode = compText(field(obr, 25), 1, d);
  const start = toFhirDateTime(compText(field(obr, 7), 1, d), zone);
  const end = toFhirDateTime(compText(field(obr, 8), 1, d), zone);
  const category = compText(field(obr, 24), 1, d);
  const placer = field(obr, 2) !== '' ? field(obr, 2) : field(orc, 2);
  const filler = field(obr, 3) !== '' ? field(obr, 3) : field(orc, 3);
  return {
    resourceType: 'DiagnosticReport',
    id: input.id,
    identifier: [eiToIdentifier(placer, ctx, 'PLAC'), eiToIdentifier(filler, ctx, 'FILL')],
    status: (statusCode === undefined ? undefined : reportStatus0123[statusCode]) ?? 'unknown',
    category: category === undefined ? [] : [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: fhirCode(category) }] }],
    code: toCodeableConcept(field(obr, 4), ctx) ?? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown' }] },
    subject: { reference: `Patient/${input.patient}` },
    encounter: input.encounter === undefined ? undefined : { reference: `Encounter/${input.encounter}` },
    effectiveDateTime: end === undefined ? start : undefined,
    effectivePeriod: end === undefined ? undefined : { start, end },
    issued: toFhirInstant(compText(field(obr, 22), 1, d), zone),
    specimen: input.specimens.map((id) => ({ reference: `Specimen/${id}` })),
    result: input.results.map((id) => ({ reference: `Observation/${id}` })),
  };
}

/** The fallback key of an order with neither placer nor filler number (docs/fhir-mapping.md). */
export function anonymousOrderKey(patient: string, obr: Segment, index: number, ctx: MapContext): string {
  return `N:${resourceId('Order', [patient, compText(field(obr, 4), 1, ctx.d) ?? '', compText(field(obr, 7), 1, ctx.d) ?? '', String(index)])}`;
}
