import type { FhirResource } from '../projection.ts';
import { dateRangeOf, normalizeText, periodRangeOf, type DateRange } from '../values.ts';

// The search rows of one resource version, derived from its JSON alone (pure). The store deletes a
// resource's rows and inserts these in the same transaction as the version they describe.

export type NameRow = { part: NamePart; exact: string; norm: string };
export type IdentifierRow = { system: string; value: string };
export type CompartmentRow = { patientId: string; date: DateRange | null; status: string | null };
export type CodeRow = { system: string; code: string };

export type IndexRows = {
  /** Patient only: gender, birth range, name parts, identifiers. */
  patient: { gender: string | null; birth: DateRange | null; names: NameRow[]; identifiers: IdentifierRow[] } | null;
  /** For a Patient merged away (link replaced-by): the survivor's id. */
  mergedInto: string | null;
  /** The patients whose compartment holds the resource (a Patient: itself). */
  compartment: CompartmentRow[];
  codes: CodeRow[];
};

export const nameParts = ['family', 'given', 'prefix', 'suffix', 'text'] as const;
export type NamePart = (typeof nameParts)[number];

/** Column sizes (migration 0004): longer values are cut, so a search still finds them by prefix. */
const maxName = 200;
const maxToken = 255;

export function indexRowsOf(resource: FhirResource): IndexRows {
  if (resource.resourceType === 'Patient') {
    const birth = typeof resource.birthDate === 'string' ? dateRangeOf(resource.birthDate) : null;
    return {
      patient: {
        gender: typeof resource.gender === 'string' ? resource.gender : null,
        birth,
        names: namesOf(resource.name),
        identifiers: identifiersOf(resource.identifier),
      },
      mergedInto: survivorOf(resource.link),
      compartment: [{ patientId: resource.id, date: birth, status: null }],
      codes: [],
    };
  }
  const date = dateOf(resource);
  const status = statusTypes.has(resource.resourceType) && typeof resource.status === 'string' ? resource.status : null;
  return {
    patient: null,
    mergedInto: null,
    compartment: [...patientReferencesOf(resource)].map((patientId) => ({ patientId, date, status })),
    codes: codeTypes.has(resource.resourceType) ? codingsOf(resource.code) : [],
  };
}

/** Types whose R4 `status` search parameter is the resource's `status`. */
export const statusTypes = new Set(['Encounter', 'Observation', 'DiagnosticReport', 'Appointment']);
/** Types whose R4 `code` search parameter is the resource's `code`. */
export const codeTypes = new Set(['Observation', 'DiagnosticReport', 'Condition', 'AllergyIntolerance']);
/** Types with an R4 `date` search parameter, and the element it reads. */
export const dateTypes = new Set(['Encounter', 'Observation', 'DiagnosticReport', 'Appointment', 'AllergyIntolerance']);

function dateOf(resource: FhirResource): DateRange | null {
  const period = (value: unknown): DateRange | null => {
    const p = asRecord(value);
    return p === null ? null : periodRangeOf(p.start, p.end);
  };
  const instant = (value: unknown): DateRange | null => (typeof value === 'string' ? dateRangeOf(value) : null);
  switch (resource.resourceType) {
    case 'Encounter':
      return period(resource.period);
    case 'Observation':
    case 'DiagnosticReport':
      return instant(resource.effectiveDateTime) ?? instant(resource.effectiveInstant) ?? period(resource.effectivePeriod);
    case 'Appointment':
      return instant(resource.start);
    case 'AllergyIntolerance':
      return instant(resource.recordedDate);
    default:
      return null;
  }
}

function namesOf(value: unknown): NameRow[] {
  const rows = new Map<string, NameRow>();
  const add = (part: NamePart, text: unknown): void => {
    if (typeof text !== 'string' || text.trim() === '') return;
    const exact = text.slice(0, maxName);
    rows.set(`${part}\u0000${exact}`, { part, exact, norm: normalizeText(text).slice(0, maxName) });
  };
  for (const name of asArray(value)) {
    const n = asRecord(name);
    if (n === null) continue;
    add('family', n.family);
    add('text', n.text);
    for (const part of ['given', 'prefix', 'suffix'] as const) for (const text of asArray(n[part])) add(part, text);
  }
  return [...rows.values()];
}

function identifiersOf(value: unknown): IdentifierRow[] {
  const rows = new Map<string, IdentifierRow>();
  for (const item of asArray(value)) {
    const i = asRecord(item);
    if (i === null || typeof i.value !== 'string') continue;
    const row = { system: typeof i.system === 'string' ? i.system.slice(0, maxToken) : '', value: i.value.slice(0, maxToken) };
    rows.set(`${row.system}|${row.value}`, row);
  }
  return [...rows.values()];
}

function codingsOf(value: unknown): CodeRow[] {
  const rows = new Map<string, CodeRow>();
  for (const coding of asArray(asRecord(value)?.coding)) {
    const c = asRecord(coding);
    if (c === null || typeof c.code !== 'string') continue;
    const row = { system: typeof c.system === 'string' ? c.system.slice(0, maxToken) : '', code: c.code.slice(0, maxToken) };
    rows.set(`${row.system}|${row.code}`, row);
  }
  return [...rows.values()];
}

function survivorOf(links: unknown): string | null {
  for (const item of asArray(links)) {
    const link = asRecord(item);
    if (link?.type !== 'replaced-by') continue;
    const id = patientIdOf(asRecord(link.other)?.reference);
    if (id !== null) return id;
  }
  return null;
}

const patientReference = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;

function patientIdOf(reference: unknown): string | null {
  return typeof reference === 'string' ? (patientReference.exec(reference)?.[1] ?? null) : null;
}

/**
 * Every `Patient/<id>` reference anywhere in the resource (subject, patient, participant.actor, …):
 * the R4 patient compartment's members all point at the patient through such a reference.
 */
function patientReferencesOf(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) patientReferencesOf(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const id = key === 'reference' ? patientIdOf(item) : null;
      if (id !== null) found.add(id);
      else patientReferencesOf(item, found);
    }
  }
  return found;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}
