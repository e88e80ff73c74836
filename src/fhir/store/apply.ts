import type { FhirResource, Projection, ResourceWrite } from '../projection.ts';
import { indexRowsOf } from './index-rows.ts';
import type { Row, Step } from './engine.ts';

// How a projection becomes versions, written once for both engines as a generator of SQL steps: the
// SQLite driver runs it synchronously inside one transaction (nothing else can touch the one handle
// in between), the MariaDB driver awaits each step on one connection inside one transaction, the
// current row read with FOR UPDATE so concurrent appliers of the same resource queue up.

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'stale' | 'absent';

/** A projection that can never apply (bad eventTime): retrying cannot help. */
export class ProjectionError extends Error {
  override readonly name = 'ProjectionError';
}

type Current = { version: number; eventTime: number; content: FhirResource };

export function* applySteps(projection: Projection, now: number): Generator<Step, WriteOutcome[], Row[]> {
  const eventTime = Date.parse(projection.eventTime);
  if (Number.isNaN(eventTime)) throw new ProjectionError('the projection eventTime is not an instant');
  const outcomes: WriteOutcome[] = [];
  for (const write of projection.writes) {
    const [type, id] = write.op === 'upsert' ? [write.resource.resourceType, write.resource.id] : [write.resourceType, write.id];
    const rows = yield { sql: selectCurrent, params: [type, id], lock: true };
    const row = rows[0];
    const current: Current | null =
      row === undefined ? null : { version: Number(row.version), eventTime: Number(row.event_time), content: JSON.parse(String(row.content)) as FhirResource };
    // An older event never overwrites what a newer one wrote (the same time applies: a redelivery).
    if (current !== null && eventTime < current.eventTime) {
      outcomes.push('stale');
      continue;
    }
    const next = nextContent(write, current, type, id);
    if (next === null) {
      outcomes.push('absent');
      continue;
    }
    if (current !== null && canonical(withoutMeta(current.content)) === canonical(withoutMeta(next))) {
      if (eventTime > current.eventTime) yield { sql: 'UPDATE fhir_resource SET event_time = ? WHERE resource_type = ? AND id = ?', params: [eventTime, type, id] };
      outcomes.push('unchanged');
      continue;
    }
    const version = (current?.version ?? 0) + 1;
    const stored = stamp(next, version, now);
    yield* writeVersion(stored, current !== null, version, eventTime, now);
    outcomes.push(current === null ? 'created' : 'updated');
  }
  return outcomes;
}

const selectCurrent = 'SELECT version, event_time, content FROM fhir_resource WHERE resource_type = ? AND id = ?';

/** The resource the write makes of what is stored; null when a patch may not create it. */
function nextContent(write: ResourceWrite, current: Current | null, type: string, id: string): FhirResource | null {
  if (write.op === 'upsert') return withoutMeta(write.resource);
  if (current === null && !write.create) return null;
  const base: FhirResource = current === null ? { resourceType: type, id } : withoutMeta(current.content);
  for (const [key, value] of Object.entries(write.set)) {
    if (key === 'resourceType' || key === 'id') continue;
    if (value === null) delete base[key];
    else base[key] = value;
  }
  return base;
}

/** The resource without meta.versionId / meta.lastUpdated (which the store owns); other meta stays. */
function withoutMeta(resource: FhirResource): FhirResource {
  const { meta, ...rest } = resource;
  if (meta === null || typeof meta !== 'object') return { ...rest } as FhirResource;
  const { versionId: _v, lastUpdated: _l, ...kept } = meta as Record<string, unknown>;
  return (Object.keys(kept).length === 0 ? { ...rest } : { ...rest, meta: kept }) as FhirResource;
}

function stamp(resource: FhirResource, version: number, now: number): FhirResource {
  const { resourceType, id, meta, ...rest } = resource;
  const kept = meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>) : {};
  return { resourceType, id, meta: { ...kept, versionId: String(version), lastUpdated: new Date(now).toISOString() }, ...rest };
}

/** JSON with object keys sorted: two resources that differ only in key order are the same. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function* writeVersion(resource: FhirResource, exists: boolean, version: number, eventTime: number, now: number): Generator<Step, void, Row[]> {
  const { resourceType: type, id } = resource;
  const json = JSON.stringify(resource);
  const index = indexRowsOf(resource);
  yield exists
    ? {
        sql: 'UPDATE fhir_resource SET version = ?, event_time = ?, last_updated = ?, deleted = 0, merged_into = ?, content = ? WHERE resource_type = ? AND id = ?',
        params: [version, eventTime, now, index.mergedInto, json, type, id],
      }
    : {
        sql: 'INSERT INTO fhir_resource (resource_type, id, version, event_time, last_updated, deleted, merged_into, content) VALUES (?, ?, ?, ?, ?, 0, ?, ?)',
        params: [type, id, version, eventTime, now, index.mergedInto, json],
      };
  yield { sql: 'INSERT INTO fhir_history (resource_type, id, version, last_updated, content) VALUES (?, ?, ?, ?, ?)', params: [type, id, version, now, json] };
  if (exists) yield* deleteIndexRows(type, id);
  const p = index.patient;
  if (p !== null) {
    yield { sql: 'INSERT INTO fhir_patient (id, gender, birth_lo, birth_hi) VALUES (?, ?, ?, ?)', params: [id, p.gender, p.birth?.lo ?? null, p.birth?.hi ?? null] };
    yield* insertRows(
      'fhir_patient_name (patient_id, part, exact_value, norm, birth_lo, birth_hi)',
      p.names.map((n) => [id, n.part, n.exact, n.norm, p.birth?.lo ?? null, p.birth?.hi ?? null]),
    );
    yield* insertRows('fhir_identifier (patient_id, system, value)', p.identifiers.map((i) => [id, i.system, i.value]));
  }
  yield* insertRows(
    'fhir_compartment (patient_id, resource_type, resource_id, date_lo, date_hi, status)',
    index.compartment.map((c) => [c.patientId, type, id, c.date?.lo ?? null, c.date?.hi ?? null, c.status]),
  );
  yield* insertRows('fhir_code (resource_type, resource_id, system, code)', index.codes.map((c) => [type, id, c.system, c.code]));
}

function* deleteIndexRows(type: string, id: string): Generator<Step, void, Row[]> {
  if (type === 'Patient') {
    yield { sql: 'DELETE FROM fhir_patient WHERE id = ?', params: [id] };
    yield { sql: 'DELETE FROM fhir_patient_name WHERE patient_id = ?', params: [id] };
    yield { sql: 'DELETE FROM fhir_identifier WHERE patient_id = ?', params: [id] };
  }
  yield { sql: 'DELETE FROM fhir_compartment WHERE resource_type = ? AND resource_id = ?', params: [type, id] };
  yield { sql: 'DELETE FROM fhir_code WHERE resource_type = ? AND resource_id = ?', params: [type, id] };
}

/** One multi-row INSERT (none for no rows). */
function* insertRows(into: string, rows: unknown[][]): Generator<Step, void, Row[]> {
  const first = rows[0];
  if (first === undefined) return;
  const tuple = `(${first.map(() => '?').join(', ')})`;
  yield { sql: `INSERT INTO ${into} VALUES ${rows.map(() => tuple).join(', ')}`, params: rows.flat() };
}
