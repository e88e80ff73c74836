import type { FhirResource, Projection, ResourceWrite } from '../projection.ts';
import { indexRowsOf } from './index-rows.ts';
import { isSameJson } from './same-json.ts';
import type { Row, Step } from './engine.ts';

// How projections become versions, written once for both engines as a generator of SQL steps: the
// SQLite driver runs it synchronously inside one transaction (nothing else can touch the one handle
// in between), the MariaDB driver awaits each step on one connection inside one transaction.
// Round trips are few whatever the number of writes: the current rows are read (FOR UPDATE, so
// concurrent appliers of a resource queue up) in one statement per chunk, the writes are worked out
// in memory in order, then written as multi-row statements per table.

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'stale' | 'absent';

/** A projection that can never apply (bad eventTime): retrying cannot help. */
export class ProjectionError extends Error {
  override readonly name = 'ProjectionError';
}

type State = {
  type: string;
  id: string;
  /** In the table before this transaction. */
  stored: boolean;
  version: number;
  eventTime: number;
  content: FhirResource | null;
  /** A new version to write (content, versions for history). */
  versions: FhirResource[];
  /** The message each of `versions` came from (Projection.messageId), null when none was given. */
  messageIds: (number | null)[];
  /** Only event_time moved forward. */
  touched: boolean;
};

/** Rows per statement stay under this many placeholders (SQLite and MariaDB both take far more). */
const maxParams = 4000;
/** Parts of one UNION ALL read (SQLite's SQLITE_MAX_COMPOUND_SELECT is 500 by default). */
const maxUnion = 250;

export function eventTimeOf(projection: Projection): number {
  const eventTime = Date.parse(projection.eventTime);
  if (Number.isNaN(eventTime)) throw new ProjectionError('the projection eventTime is not an instant');
  return eventTime;
}

/** One outcome list per projection, each with one outcome per write, in order. */
export function* applySteps(projections: readonly Projection[], now: number): Generator<Step, WriteOutcome[][], Row[]> {
  const times = projections.map(eventTimeOf);
  const states = yield* readStates(projections);
  const outcomes = projections.map((projection, i) => projection.writes.map((write) => applyWrite(states, write, times[i] ?? 0, now, projection.messageId ?? null)));
  yield* writeStates([...states.values()], now);
  return outcomes;
}

const keyOf = (type: string, id: string): string => `${type}/${id}`;
const targetOf = (write: ResourceWrite): [string, string] =>
  write.op === 'upsert' ? [write.resource.resourceType, write.resource.id] : [write.resourceType, write.id];

function* readStates(projections: readonly Projection[]): Generator<Step, Map<string, State>, Row[]> {
  const states = new Map<string, State>();
  for (const projection of projections) {
    for (const write of projection.writes) {
      const [type, id] = targetOf(write);
      if (!states.has(keyOf(type, id))) states.set(keyOf(type, id), { type, id, stored: false, version: 0, eventTime: -Infinity, content: null, versions: [], messageIds: [], touched: false });
    }
  }
  for (const chunk of chunks([...states.values()], maxParams / maxUnion)) {
    const union = chunk.map(() => 'SELECT resource_type, id, version, event_time, content FROM fhir_resource WHERE resource_type = ? AND id = ?');
    const rows = yield { union, params: chunk.flatMap((s) => [s.type, s.id]), lock: true };
    for (const row of rows) {
      const state = states.get(keyOf(String(row.resource_type), String(row.id)));
      if (state === undefined) continue;
      Object.assign(state, { stored: true, version: Number(row.version), eventTime: Number(row.event_time), content: JSON.parse(String(row.content)) as FhirResource });
    }
  }
  return states;
}

function applyWrite(states: Map<string, State>, write: ResourceWrite, eventTime: number, now: number, messageId: number | null): WriteOutcome {
  const [type, id] = targetOf(write);
  const state = states.get(keyOf(type, id));
  if (state === undefined) throw new Error('unreachable: every target was read');
  // An older event never overwrites what a newer one wrote (the same time applies: a redelivery).
  if (state.content !== null && eventTime < state.eventTime) return 'stale';
  const next = nextContent(write, state.content, type, id);
  if (next === null) return 'absent';
  if (state.content !== null && isSameJson(withoutMeta(state.content), withoutMeta(next))) {
    if (eventTime > state.eventTime) {
      state.eventTime = eventTime;
      state.touched = true;
    }
    return 'unchanged';
  }
  const created = state.content === null;
  state.version += 1;
  state.eventTime = eventTime;
  state.content = stamp(next, state.version, now);
  state.versions.push(state.content);
  state.messageIds.push(messageId);
  return created ? 'created' : 'updated';
}

/** The resource the write makes of what is stored; null when a patch may not create it. */
function nextContent(write: ResourceWrite, current: FhirResource | null, type: string, id: string): FhirResource | null {
  if (write.op === 'upsert') return withoutMeta(write.resource);
  if (current === null && !write.create) return null;
  const base: FhirResource = current === null ? { resourceType: type, id } : withoutMeta(current);
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

function* writeStates(all: State[], now: number): Generator<Step, void, Row[]> {
  for (const s of all.filter((s) => s.touched && s.versions.length === 0)) {
    yield { sql: 'UPDATE fhir_resource SET event_time = ? WHERE resource_type = ? AND id = ?', params: [s.eventTime, s.type, s.id] };
  }
  const changed = all.filter((s) => s.versions.length > 0 && s.content !== null);
  if (changed.length === 0) return;
  const replaced = changed.filter((s) => s.stored);
  yield* deleteIndexRows(replaced);
  // The current version's JSON once: the same text goes to fhir_resource and to its history row.
  const rows = changed.map((s) => ({ s, content: s.content as FhirResource, json: JSON.stringify(s.content), index: indexRowsOf(s.content as FhirResource) }));
  const jsonOf = new Map(rows.map((r) => [r.content, r.json]));
  for (const { s, json, index } of rows.filter((r) => r.s.stored)) {
    yield {
      sql: 'UPDATE fhir_resource SET version = ?, event_time = ?, last_updated = ?, deleted = 0, merged_into = ?, content = ? WHERE resource_type = ? AND id = ?',
      params: [s.version, s.eventTime, now, index.mergedInto, json, s.type, s.id],
    };
  }
  yield* insertRows(
    'fhir_resource (resource_type, id, version, event_time, last_updated, deleted, merged_into, content)',
    rows.filter((r) => !r.s.stored).map(({ s, json, index }) => [s.type, s.id, s.version, s.eventTime, now, 0, index.mergedInto, json]),
  );
  yield* insertRows(
    'fhir_history (resource_type, id, version, last_updated, message_id, content)',
    changed.flatMap((s) => s.versions.map((v, i) => [s.type, s.id, Number((v.meta as { versionId: string }).versionId), now, s.messageIds[i] ?? null, jsonOf.get(v) ?? JSON.stringify(v)])),
  );
  yield* insertIndexRows(rows.map((r) => ({ type: r.s.type, id: r.s.id, index: r.index })));
}

type Indexed = { type: string; id: string; index: ReturnType<typeof indexRowsOf> };

function* insertIndexRows(rows: Indexed[]): Generator<Step, void, Row[]> {
  const patients = rows.flatMap((r) => (r.index.patient === null ? [] : [{ id: r.id, p: r.index.patient }]));
  yield* insertRows('fhir_patient (id, gender, birth_lo, birth_hi)', patients.map(({ id, p }) => [id, p.gender, p.birth?.lo ?? null, p.birth?.hi ?? null]));
  yield* insertRows(
    'fhir_patient_name (patient_id, part, exact_value, norm, birth_lo, birth_hi)',
    patients.flatMap(({ id, p }) => p.names.map((n) => [id, n.part, n.exact, n.norm, p.birth?.lo ?? null, p.birth?.hi ?? null])),
  );
  yield* insertRows('fhir_identifier (patient_id, system, value)', patients.flatMap(({ id, p }) => p.identifiers.map((i) => [id, i.system, i.value])));
  yield* insertRows(
    'fhir_compartment (patient_id, resource_type, resource_id, date_lo, date_hi, status)',
    rows.flatMap((r) => r.index.compartment.map((c) => [c.patientId, r.type, r.id, c.date?.lo ?? null, c.date?.hi ?? null, c.status])),
  );
  yield* insertRows('fhir_code (resource_type, resource_id, system, code)', rows.flatMap((r) => r.index.codes.map((c) => [r.type, r.id, c.system, c.code])));
}

function* deleteIndexRows(states: State[]): Generator<Step, void, Row[]> {
  const patientIds = states.filter((s) => s.type === 'Patient').map((s) => s.id);
  for (const chunk of chunks(patientIds, 1)) {
    const marks = chunk.map(() => '?').join(', ');
    yield { sql: `DELETE FROM fhir_patient WHERE id IN (${marks})`, params: chunk };
    yield { sql: `DELETE FROM fhir_patient_name WHERE patient_id IN (${marks})`, params: chunk };
    yield { sql: `DELETE FROM fhir_identifier WHERE patient_id IN (${marks})`, params: chunk };
  }
  for (const chunk of chunks(states, 2)) {
    const pairs = chunk.flatMap((s) => [s.type, s.id]);
    const where = chunk.map(() => '(resource_type = ? AND resource_id = ?)').join(' OR ');
    yield { sql: `DELETE FROM fhir_compartment WHERE ${where}`, params: pairs };
    yield { sql: `DELETE FROM fhir_code WHERE ${where}`, params: pairs };
  }
}

/** Multi-row INSERTs (none for no rows), each under maxParams placeholders. */
function* insertRows(into: string, rows: unknown[][]): Generator<Step, void, Row[]> {
  const width = rows[0]?.length ?? 0;
  if (width === 0) return;
  const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  for (const chunk of chunks(rows, width)) {
    yield { sql: `INSERT INTO ${into} VALUES ${chunk.map(() => tuple).join(', ')}`, params: chunk.flat(), bulk: true };
  }
}

function chunks<T>(items: readonly T[], paramsPerItem: number): T[][] {
  const size = Math.max(1, Math.floor(maxParams / paramsPerItem));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
