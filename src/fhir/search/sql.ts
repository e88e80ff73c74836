import type { DatePrefix, Filter, SearchSpec, TokenValue } from './params.ts';
import type { DateRange } from '../values.ts';

// SQL for a parsed search (both engines: plain `?` placeholders, functions both have). Every filter is
// an `r.id IN (subquery)` over one search table, so each uses that table's index.

export type SqlPart = { sql: string; params: unknown[] };

export function searchWhere(spec: SearchSpec): SqlPart {
  const parts: SqlPart[] = [{ sql: 'r.resource_type = ? AND r.deleted = 0', params: [spec.type] }];
  const birth = spec.filters.find((f) => f.kind === 'date' && f.param === 'birthdate');
  for (const filter of spec.filters) parts.push(filterSql(spec.type, filter, birth));
  return join(parts, ' AND ');
}

function filterSql(type: string, filter: Filter, birth: Filter | undefined): SqlPart {
  switch (filter.kind) {
    case 'string': {
      const partNames = filter.param === 'name' ? ['family', 'given', 'prefix', 'suffix', 'text'] : [filter.param];
      const values = join(filter.values.map((v) => stringMatch(filter.modifier, v)), ' OR ');
      // The birth range repeated in the name rows narrows family + birthdate inside one index.
      const narrowed = birth?.kind === 'date' ? dateMatch('n.birth_lo', 'n.birth_hi', birth.values) : null;
      return wrap('r.id IN (SELECT n.patient_id FROM fhir_patient_name n WHERE n.part IN (' + marks(partNames) + ') AND (', join(
        [{ sql: '', params: partNames }, values, ...(narrowed === null ? [] : [{ sql: ') AND (', params: [] }, narrowed])],
        '',
      ), '))');
    }
    case 'date':
      return filter.param === 'birthdate'
        ? wrap('r.id IN (SELECT p.id FROM fhir_patient p WHERE ', dateMatch('p.birth_lo', 'p.birth_hi', filter.values), ')')
        : wrap('r.id IN (SELECT c.resource_id FROM fhir_compartment c WHERE c.resource_type = ? AND ', prepend(type, dateMatch('c.date_lo', 'c.date_hi', filter.values)), ')');
    case 'token':
      return tokenSql(type, filter.param, filter.values);
    case 'patient':
      return { sql: `r.id IN (SELECT c.resource_id FROM fhir_compartment c WHERE c.resource_type = ? AND c.patient_id IN (${marks(filter.ids)}))`, params: [type, ...filter.ids] };
  }
}

function tokenSql(type: string, param: 'gender' | 'identifier' | 'status' | 'code', values: TokenValue[]): SqlPart {
  const codes = values.map((v) => v.code ?? '');
  switch (param) {
    case 'gender':
      return { sql: `r.id IN (SELECT p.id FROM fhir_patient p WHERE p.gender IN (${marks(codes)}))`, params: codes };
    case 'status':
      return { sql: `r.id IN (SELECT c.resource_id FROM fhir_compartment c WHERE c.resource_type = ? AND c.status IN (${marks(codes)}))`, params: [type, ...codes] };
    case 'identifier':
      return wrap('r.id IN (SELECT i.patient_id FROM fhir_identifier i WHERE ', join(values.map((v) => systemCode('i.system', 'i.value', v)), ' OR '), ')');
    case 'code':
      return wrap('r.id IN (SELECT k.resource_id FROM fhir_code k WHERE k.resource_type = ? AND (', prepend(type, join(values.map((v) => systemCode('k.system', 'k.code', v)), ' OR ')), '))');
  }
}

function systemCode(systemColumn: string, codeColumn: string, v: TokenValue): SqlPart {
  const parts: SqlPart[] = [];
  if (v.system !== null) parts.push({ sql: `${systemColumn} = ?`, params: [v.system] });
  if (v.code !== null) parts.push({ sql: `${codeColumn} = ?`, params: [v.code] });
  return wrap('(', join(parts, ' AND '), ')');
}

/** FHIR string matching on a normalized value: starts-with as an index range, :contains, :exact. */
function stringMatch(modifier: 'starts' | 'exact' | 'contains', value: string): SqlPart {
  switch (modifier) {
    case 'exact':
      return { sql: 'n.exact_value = ?', params: [value] };
    case 'contains':
      return { sql: 'INSTR(n.norm, ?) > 0', params: [value] };
    case 'starts':
      return { sql: '(n.norm >= ? AND n.norm < ?)', params: [value, successorOf(value)] };
  }
}

/** The least string greater than every string that starts with `prefix` (code point order = binary collation order). */
export function successorOf(prefix: string): string {
  const chars = Array.from(prefix);
  const last = chars.pop() ?? '';
  return chars.join('') + String.fromCodePoint((last.codePointAt(0) ?? 0) + 1);
}

/**
 * R4 date comparison of a stored range [lo, hi) with a searched one [s, e) (search.html#prefix): eq when
 * [s, e) contains the target, gt/lt when the range above/below the value overlaps it, ge/le either.
 */
function dateMatch(lo: string, hi: string, values: { prefix: DatePrefix; range: DateRange }[]): SqlPart {
  return join(values.map(({ prefix, range }) => {
    const eq: SqlPart = { sql: `(${lo} >= ? AND ${hi} <= ?)`, params: [range.lo, range.hi] };
    const gt: SqlPart = { sql: `${hi} > ?`, params: [range.hi] };
    const lt: SqlPart = { sql: `${lo} < ?`, params: [range.lo] };
    switch (prefix) {
      case 'eq':
        return eq;
      case 'ne':
        return wrap('NOT ', eq, '');
      case 'gt':
        return gt;
      case 'lt':
        return lt;
      case 'ge':
        return wrap('(', join([eq, gt], ' OR '), ')');
      case 'le':
        return wrap('(', join([eq, lt], ' OR '), ')');
    }
  }), ' OR ');
}

export function marks(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

function join(parts: SqlPart[], separator: string): SqlPart {
  return { sql: parts.map((p) => p.sql).join(separator), params: parts.flatMap((p) => p.params) };
}

function wrap(before: string, part: SqlPart, after: string): SqlPart {
  return { sql: `${before}${part.sql}${after}`, params: part.params };
}

function prepend(param: unknown, part: SqlPart): SqlPart {
  return { sql: part.sql, params: [param, ...part.params] };
}
