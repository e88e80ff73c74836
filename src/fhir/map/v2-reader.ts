import { nthPart } from '../../hl7/components.ts';
import { readDelimiters, type Delimiters } from '../../hl7/delimiters.ts';
import { unescapeText } from '../../hl7/escape.ts';
import { splitSegments } from '../../hl7/segments.ts';

// A full, read-only view of one message for the mapping: segments split into fields, field values
// kept raw (escapes included) until a leaf is read, so a delimiter written as an escape sequence
// never splits a value. Indexes follow the standard: `field(seg, 3)` is PID-3, MSH-9 is MSH-9.

export type Segment = { readonly id: string; readonly fields: readonly string[] };

export type V2Message = { readonly d: Delimiters; readonly segments: readonly Segment[] };

export type ReadResult = { ok: true; message: V2Message } | { ok: false; error: string };

export function readV2(raw: string): ReadResult {
  const segments = splitSegments(raw.replace(/^\uFEFF/, ''));
  const msh = segments[0];
  if (msh === undefined || !msh.startsWith('MSH')) return { ok: false, error: 'the message does not begin with an MSH segment' };
  const delimiters = readDelimiters(msh);
  if (!delimiters.ok) return { ok: false, error: delimiters.reason };
  const d = delimiters.delimiters;
  return {
    ok: true,
    message: {
      d,
      segments: segments.map((text) => {
        const parts = text.split(d.field);
        const id = parts[0] ?? '';
        // MSH-1 is the separator itself: shift so that fields[n] is MSH-n like any other segment.
        const fields = id === 'MSH' ? [id, d.field, ...parts.slice(1)] : parts;
        return { id, fields };
      }),
    },
  };
}

/** Field `n` as written (all repetitions), '' when absent. */
export function field(segment: Segment | undefined, n: number): string {
  return segment?.fields[n] ?? '';
}

/** The repetitions of a raw field value (none when empty). */
export function repetitions(value: string, d: Delimiters): string[] {
  return value === '' ? [] : value.split(d.repetition).filter((r) => r.trim() !== '');
}

/** Component `n` (1-based) of a raw value, raw. */
export function comp(value: string, n: number, d: Delimiters): string {
  return nthPart(value, d.component, n);
}

/** Sub-component `n` (1-based) of a raw component, raw. */
export function sub(value: string, n: number, d: Delimiters): string {
  return nthPart(value, d.subcomponent, n);
}


/**
 * A leaf read as text: unescaped and trimmed; HL7's explicit null `""` and an empty value give
 * undefined, so callers can leave the FHIR element out.
 */
export function text(value: string, d: Delimiters): string | undefined {
  const result = unescapeText(value, d).trim();
  return result === '' || result === '""' ? undefined : result;
}

/** Component `n` as text (its first sub-component when it has several). */
export function compText(value: string, n: number, d: Delimiters): string | undefined {
  return text(sub(comp(value, n, d), 1, d), d);
}

/** The first repetition of field `n`, component `c`, as text. */
export function fieldText(segment: Segment | undefined, d: Delimiters, n: number, c = 1): string | undefined {
  const first = repetitions(field(segment, n), d)[0] ?? '';
  return compText(first, c, d);
}

/** The segments with this id. */
export function segmentsOf(message: V2Message, id: string): Segment[] {
  return message.segments.filter((s) => s.id === id);
}
