import { fhirCode, toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { ucumCode } from './ucum-units.ts';
import { comp, compText, repetitions, text } from './v2-reader.ts';

// OBX-5 by OBX-2 → Observation.value[x] (IG "OBX[Observation]"). Only the first repetition is read
// except for text types, whose repetitions are lines. A value that does not parse as its type is
// kept as valueString rather than dropped.

export const attachmentExtension = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.value';

const decimal = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/** A v2 NM as a JSON number, undefined when it is not one. */
export function toDecimal(value: string | undefined): number | undefined {
  if (value === undefined || !decimal.test(value.trim())) return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

/** OBX-6 (CWE) → the unit parts of a Quantity. */
export function unitOf(units: string, ctx: MapContext): Json {
  const unit = compText(units, 1, ctx.d);
  if (unit === undefined) return {};
  const code = fhirCode(ucumCode(unit, compText(units, 3, ctx.d)));
  const display = compText(units, 2, ctx.d);
  return code === undefined ? { unit: display ?? unit } : { unit: display ?? unit, system: 'http://unitsofmeasure.org', code };
}

export function observationValue(type: string, value: string, units: string, ctx: MapContext): Json {
  const { d } = ctx;
  const reps = repetitions(value, d);
  const first = reps[0] ?? '';
  const plain = text(first, d);
  switch (type) {
    case 'NM': {
      const number = toDecimal(plain);
      return number === undefined ? { valueString: plain } : { valueQuantity: { value: number, ...unitOf(units, ctx) } };
    }
    case 'ST':
    case 'TX':
    case 'FT': {
      const lines = reps.map((r) => text(r, d)).filter((l) => l !== undefined);
      return { valueString: lines.length === 0 ? undefined : lines.join('\n') };
    }
    case 'CWE':
    case 'CE':
    case 'CNE':
    case 'CF':
      return { valueCodeableConcept: toCodeableConcept(first, ctx) };
    case 'IS':
    case 'ID':
      return { valueCodeableConcept: plain === undefined ? undefined : { coding: [{ code: fhirCode(plain) }] } };
    case 'DT':
    case 'DTM':
    case 'TS': {
      const at = toFhirDateTime(compText(first, 1, d), ctx.options.defaultTimeZone);
      return at === undefined ? { valueString: plain } : { valueDateTime: at };
    }
    case 'TM': {
      const m = /^([01]\d|2[0-3])([0-5]\d)?([0-5]\d)?(\.\d+)?$/.exec(plain ?? '');
      return m === null ? { valueString: plain } : { valueTime: `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}${m[4] ?? ''}` };
    }
    case 'SN':
      return structuredNumeric(first, units, ctx);
    case 'NR': {
      const low = toDecimal(compText(first, 1, d));
      const high = toDecimal(compText(first, 2, d));
      return { valueRange: { low: low === undefined ? undefined : { value: low, ...unitOf(units, ctx) }, high: high === undefined ? undefined : { value: high, ...unitOf(units, ctx) } } };
    }
    case 'ED':
      return encapsulated(first, ctx);
    default:
      return { valueString: plain };
  }
}

/** SN: comparator ^ number ^ separator/suffix ^ number (IG: Quantity, Ratio, Range or string). */
function structuredNumeric(sn: string, units: string, ctx: MapContext): Json {
  const { d } = ctx;
  const comparator = compText(sn, 1, d);
  const n1 = toDecimal(compText(sn, 2, d));
  const separator = compText(sn, 3, d);
  const n2 = toDecimal(compText(sn, 4, d));
  const unit = unitOf(units, ctx);
  const asText = [comparator, compText(sn, 2, d), separator, compText(sn, 4, d)].filter((p) => p !== undefined).join('');
  if (comparator === '<>' || separator === '+' || n1 === undefined) return { valueString: asText === '' ? undefined : asText };
  if ((separator === ':' || separator === '/') && n2 !== undefined) return { valueRatio: { numerator: { value: n1 }, denominator: { value: n2 } } };
  if (separator === '-' && n2 !== undefined) return { valueRange: { low: { value: n1, ...unit }, high: { value: n2, ...unit } } };
  if (separator !== undefined) return { valueString: asText };
  const fhirComparator = comparator === undefined || comparator === '=' ? undefined : comparator;
  if (fhirComparator !== undefined && !['<', '<=', '>=', '>'].includes(fhirComparator)) return { valueString: asText };
  return { valueQuantity: { value: n1, comparator: fhirComparator, ...unit } };
}

const mediaTypes: Record<string, string> = { IM: 'image', AP: 'application', AU: 'audio', TEXT: 'text', VIDEO: 'video', MULTIPART: 'multipart' };

/** ED: source ^ type ^ subtype ^ encoding ^ data → the R5 backport extension with an Attachment. */
function encapsulated(ed: string, ctx: MapContext): Json {
  const { d } = ctx;
  const type = compText(ed, 2, d)?.toUpperCase();
  const subtype = compText(ed, 3, d)?.toLowerCase();
  const encoding = compText(ed, 4, d)?.toUpperCase();
  const data = text(comp(ed, 5, d), d)?.replace(/\s+/g, '');
  if (data === undefined) return {};
  const major = type === undefined ? undefined : mediaTypes[type];
  const contentType = major !== undefined && subtype !== undefined && /^[a-z0-9.+-]+$/.test(subtype) ? `${major}/${subtype}` : 'application/octet-stream';
  const base64 = encoding === 'BASE64' && /^[A-Za-z0-9+/]+=*$/.test(data) ? data : Buffer.from(data, 'utf8').toString('base64');
  return { extension: [{ url: attachmentExtension, valueAttachment: { contentType, data: base64 } }] };
}
