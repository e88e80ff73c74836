import type { Delimiters } from './delimiters.ts';
import { unescapeText } from './escape.ts';

// Which PID-3 repetition identifies the patient. A PID-3 often lists several identifiers (medical
// record number, national id, account); processing keys events by PID-3.1 + PID-3.4, so the choice
// must be stable: the medical record number (identifier type code PID-3.5 = MR, HL7 table 0203)
// when there is one, else the first repetition that carries an identifier.

export type Patient = { id: string; authority: string | null };

/**
 * `segment`: the first PID segment (`PID` + MSH-1). Read in place, by index, with as few searches
 * as the answer needs (this runs for every message): the first repetition with an identifier
 * whose PID-3.5 is MR wins, else the first one with an identifier.
 */
export function readPatient(segment: string, d: Delimiters): Patient | null {
  // PID-3 follows the third field separator.
  let start = 3;
  for (let n = 1; n < 3 && start !== -1; n++) start = segment.indexOf(d.field, start + 1);
  if (start === -1) return null;
  start += 1;
  const fieldEnd = endOf(segment, d.field, start, segment.length);
  let chosen: Patient | null = null;
  for (let from = start; from <= fieldEnd; ) {
    const to = endOf(segment, d.repetition, from, fieldEnd);
    const idEnd = endOf(segment, d.component, from, to);
    const id = readValue(segment.slice(from, idEnd), d);
    if (id !== null) {
      const authorityStart = skipComponents(segment, d.component, idEnd, to, 3);
      const authorityEnd = endOf(segment, d.component, authorityStart, to);
      const type = segment.slice(authorityEnd + 1, endOf(segment, d.component, authorityEnd + 1, to));
      const isMr = authorityEnd < to && type.trim() === 'MR';
      if (chosen === null || isMr) chosen = { id, authority: readValue(segment.slice(authorityStart, authorityEnd), d) };
      if (isMr) break;
    }
    from = to + 1;
  }
  return chosen;
}

/** Where the part starting at `from` ends: the next `separator` before `limit`, else `limit`. */
function endOf(text: string, separator: string, from: number, limit: number): number {
  const end = text.indexOf(separator, from);
  return end === -1 || end > limit ? limit : end;
}

/** From the separator at `at` (or `limit`), the start of the component `count` separators on. */
function skipComponents(text: string, separator: string, at: number, limit: number, count: number): number {
  let pos = at;
  for (let i = 1; i < count && pos < limit; i++) pos = endOf(text, separator, pos + 1, limit);
  return pos < limit ? pos + 1 : limit;
}

/** Unescaped and trimmed; null when empty or `""` (HL7's explicit null). */
function readValue(raw: string, d: Delimiters): string | null {
  const value = unescapeText(raw, d).trim();
  return value === '' || value === '""' ? null : value;
}
