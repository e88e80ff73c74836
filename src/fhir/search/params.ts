import { dateRangeOf, normalizeText, type DateRange } from '../values.ts';

// FHIR R4 search parameters parsed into plain data (pure): which parameters each type supports,
// string modifiers, date prefixes, tokens, paging. A repeated parameter is AND, a comma inside one is OR.

export const searchTypes = ['Patient', 'Encounter', 'Observation', 'DiagnosticReport', 'Appointment', 'Condition', 'AllergyIntolerance'] as const;
export type SearchType = (typeof searchTypes)[number];

export const datePrefixes = ['eq', 'ne', 'gt', 'lt', 'ge', 'le'] as const;
export type DatePrefix = (typeof datePrefixes)[number];

export type StringModifier = 'starts' | 'exact' | 'contains';
export type StringParam = 'family' | 'given' | 'name';
export type TokenValue = { system: string | null; code: string | null };

export type Filter =
  | { kind: 'string'; param: StringParam; modifier: StringModifier; values: string[] }
  | { kind: 'date'; param: 'birthdate' | 'date'; values: { prefix: DatePrefix; range: DateRange }[] }
  | { kind: 'token'; param: 'gender' | 'identifier' | 'status' | 'code'; values: TokenValue[] }
  | { kind: 'patient'; ids: string[] };

export type SearchSpec = {
  type: SearchType;
  filters: Filter[];
  count: number;
  offset: number;
  /** The parameters applied, as given (for the self link; ignored ones are left out). */
  applied: [string, string][];
};

export type SearchParse = { ok: true; spec: SearchSpec; ignored: string[] } | { ok: false; status: 400; issues: string[] };

type ParamKind = 'string' | 'date' | 'token' | 'patient';

/** What each type supports, beside _count, _offset and _format (CapabilityStatement reads this too). */
export const supportedParams: Record<SearchType, Record<string, ParamKind>> = {
  Patient: { family: 'string', given: 'string', name: 'string', birthdate: 'date', gender: 'token', identifier: 'token' },
  Encounter: { patient: 'patient', date: 'date', status: 'token' },
  Observation: { patient: 'patient', date: 'date', code: 'token', status: 'token' },
  DiagnosticReport: { patient: 'patient', date: 'date', code: 'token', status: 'token' },
  Appointment: { patient: 'patient', date: 'date', status: 'token' },
  Condition: { patient: 'patient', code: 'token' },
  AllergyIntolerance: { patient: 'patient', date: 'date', code: 'token' },
};

export const defaultCount = 20;
export const maxCount = 1000;

export type Query = Record<string, string | string[] | undefined>;

export function parseSearch(type: SearchType, query: Query, lenient: boolean): SearchParse {
  const filters: Filter[] = [];
  const applied: [string, string][] = [];
  const issues: string[] = [];
  const ignored: string[] = [];
  let count = defaultCount;
  let offset = 0;
  for (const [key, raw] of entries(query)) {
    if (key === '_format') continue;
    if (key === '_count' || key === '_offset') {
      const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
      if (Number.isNaN(n) || (key === '_count' && n > maxCount)) issues.push(`${key}: a whole number${key === '_count' ? ` from 0 to ${maxCount}` : ''}`);
      else if (key === '_count') count = n;
      else offset = n;
      continue;
    }
    const [name = '', modifier] = key.split(':', 2);
    const kind = supportedParams[type][name];
    const modifierOk = modifier === undefined || (kind === 'string' && (modifier === 'exact' || modifier === 'contains'));
    if (kind === undefined || !modifierOk) {
      if (lenient) ignored.push(key);
      else issues.push(`${key}: not a supported search parameter of ${type}`);
      continue;
    }
    const filter = parseFilter(name, kind, modifier, raw);
    if (typeof filter === 'string') issues.push(`${key}: ${filter}`);
    else {
      filters.push(filter);
      applied.push([key, raw]);
    }
  }
  if (issues.length > 0) return { ok: false, status: 400, issues };
  return { ok: true, spec: { type, filters, count, offset, applied }, ignored };
}

function entries(query: Query): [string, string][] {
  return Object.entries(query).flatMap(([key, value]) => (value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v): [string, string] => [key, v])));
}

/** A filter, or what is wrong with the value. */
function parseFilter(name: string, kind: ParamKind, modifier: string | undefined, raw: string): Filter | string {
  const parts = raw.split(',').map((v) => v.trim());
  if (parts.some((p) => p === '')) return 'an empty value';
  switch (kind) {
    case 'string': {
      const values = modifier === 'exact' ? parts : parts.map(normalizeText);
      if (values.some((v) => v === '')) return 'an empty value';
      return { kind, param: name as StringParam, modifier: modifier === undefined ? 'starts' : (modifier as StringModifier), values };
    }
    case 'date': {
      const values = parts.map(parseDateValue);
      if (values.some((v) => v === null)) return `a date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime), optionally after a prefix ${datePrefixes.join(', ')}`;
      return { kind, param: name as 'birthdate' | 'date', values: values.filter((v) => v !== null) };
    }
    case 'token':
      return { kind, param: name as 'gender' | 'identifier' | 'status' | 'code', values: parts.map(parseToken) };
    case 'patient': {
      const ids = parts.map((p) => p.replace(/^Patient\//, ''));
      if (ids.some((id) => !/^[A-Za-z0-9\-.]{1,64}$/.test(id))) return 'a Patient id or Patient/<id>';
      return { kind, ids };
    }
  }
}

function parseDateValue(text: string): { prefix: DatePrefix; range: DateRange } | null {
  const prefix = (datePrefixes as readonly string[]).includes(text.slice(0, 2)) ? (text.slice(0, 2) as DatePrefix) : null;
  const range = dateRangeOf(prefix === null ? text : text.slice(2));
  return range === null ? null : { prefix: prefix ?? 'eq', range };
}

/** `system|code`, `|code` (no system), `system|` (any code), `code` (any system). */
export function parseToken(text: string): TokenValue {
  const bar = text.indexOf('|');
  if (bar < 0) return { system: null, code: text };
  const code = text.slice(bar + 1);
  return { system: text.slice(0, bar), code: code === '' ? null : code };
}

export type EverythingSpec = { types: string[] | null; since: number | null; count: number; offset: number; applied: [string, string][] };
export type EverythingParse = { ok: true; spec: EverythingSpec; ignored: string[] } | { ok: false; status: 400; issues: string[] };

/** Patient/$everything: `_since` (an instant or date), `_type` (comma list), `_count`, `_offset`. */
export function parseEverything(query: Query, lenient: boolean): EverythingParse {
  const spec: EverythingSpec = { types: null, since: null, count: defaultCount, offset: 0, applied: [] };
  const issues: string[] = [];
  const ignored: string[] = [];
  for (const [key, raw] of entries(query)) {
    if (key === '_format') continue;
    if (key === '_count' || key === '_offset') {
      const n = /^\d{1,9}$/.test(raw) ? Number(raw) : NaN;
      if (Number.isNaN(n) || (key === '_count' && n > maxCount)) issues.push(`${key}: a whole number${key === '_count' ? ` from 0 to ${maxCount}` : ''}`);
      else if (key === '_count') spec.count = n;
      else spec.offset = n;
    } else if (key === '_since') {
      const range = dateRangeOf(raw);
      if (range === null) issues.push('_since: an instant (or a date)');
      else {
        spec.since = range.lo;
        spec.applied.push([key, raw]);
      }
    } else if (key === '_type') {
      const types = raw.split(',').map((t) => t.trim());
      if (types.some((t) => !/^[A-Z][A-Za-z]{1,63}$/.test(t))) issues.push('_type: resource type names, comma separated');
      else {
        spec.types = [...(spec.types ?? []), ...types];
        spec.applied.push([key, raw]);
      }
    } else if (lenient) ignored.push(key);
    else issues.push(`${key}: not a supported parameter of $everything`);
  }
  if (issues.length > 0) return { ok: false, status: 400, issues };
  return { ok: true, spec, ignored };
}
