import { codingSystems0396, v2System } from './concept-maps.ts';
import type { MapContext, Json } from './context.ts';
import { comp, text } from './v2-reader.ts';

// CWE/CE/CNE → CodeableConcept (IG datatype map "CWE[CodeableConcept]"): the triplets 1-3, 4-6 and
// 10-12 become codings, CWE-9 (original text) the text; a coding system named by CWE-3 becomes a
// URI through table 0396 (HL7nnnn → the v2 table's CodeSystem); an unknown name has no URI, so the
// coding is written without `system` rather than with an invented one.

/** FHIR `code`: no leading, trailing or repeated whitespace (`[^\s]+( [^\s]+)*`). */
export function fhirCode(value: string): string;
export function fhirCode(value: string | undefined): string | undefined;
export function fhirCode(value: string | undefined): string | undefined {
  return value?.trim().replace(/\s+/g, ' ');
}

export function codingSystem(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const table = /^HL7(\d{4})$/i.exec(name);
  if (table?.[1] !== undefined) return v2System(table[1]);
  if (/^(https?:|urn:)/.test(name)) return name;
  return codingSystems0396[name] ?? codingSystems0396[name.toUpperCase()];
}

export function toCodeableConcept(value: string, ctx: MapContext, defaultTable?: string): Json | undefined {
  // An empty field has no component: most of an OBX's CWE fields (17, 20, 29) are empty.
  if (value === '') return undefined;
  const { d } = ctx;
  const codings = [1, 4, 10].map((at): Json | undefined => {
    const code = fhirCode(text(comp(value, at, d), d));
    const display = text(comp(value, at + 1, d), d);
    const systemName = text(comp(value, at + 2, d), d);
    if (code === undefined && display === undefined) return undefined;
    const system = codingSystem(systemName) ?? (systemName === undefined && defaultTable !== undefined ? v2System(defaultTable) : undefined);
    return code === undefined ? { display } : { system, code, display };
  });
  const original = text(comp(value, 9, d), d);
  const withCode = codings.filter((c): c is Json => c !== undefined && 'code' in c);
  const textValue = original ?? (withCode.length === 0 ? codings.find((c) => c !== undefined)?.display : undefined);
  if (withCode.length === 0 && textValue === undefined) return undefined;
  return { coding: withCode, text: textValue as string | undefined };
}

/** A coding of a v2 table code, kept beside a mapped one so no information is lost. */
export function v2Coding(table: string, code: string, display?: string): Json {
  return { system: v2System(table), code: fhirCode(code), display };
}
