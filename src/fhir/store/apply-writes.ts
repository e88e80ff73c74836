import type { FhirResource } from '../projection.ts';
import { indexRowsOf } from './index-rows.ts';
import type { Row, Step } from './engine.ts';

// The rows a transaction of apply.ts writes once its versions are worked out: the current version
// (fhir_resource, with its content hash), every new version (fhir_history), and the search rows
// derived from the current content, as multi-row statements per table.

/** A resource as apply.ts leaves it: what to write, if anything. */
export type WrittenState = {
  type: string;
  id: string;
  /** In the table before this transaction. */
  stored: boolean;
  version: number;
  eventTime: number;
  content: FhirResource | null;
  /** contentHashOf(content without the store's meta); null when not known. */
  hash: string | null;
  /** New versions to write (history), the last one current. */
  versions: FhirResource[];
  /** The message each of `versions` came from (Projection.messageId), null when none was given. */
  messageIds: (number | null)[];
  /** No new version, but event_time or content_hash of the stored row moves. */
  touched: boolean;
};

/** Rows per statement stay under this many placeholders (SQLite and MariaDB both take far more). */
export const maxParams = 4000;
/** Parts of one UNION ALL (SQLite's SQLITE_MAX_COMPOUND_SELECT is 500 by default). */
export const maxUnion = 250;

export function* writeStates(all: WrittenState[], now: number): Generator<Step, void, Row[]> {
  const touched = all.filter((s) => s.touched && s.versions.length === 0).map((s) => [s.type, s.id, s.eventTime, s.hash]);
  for (const rows of chunks(touched, maxParams / maxUnion)) {
    yield { update: { table: 'fhir_resource', keys: ['resource_type', 'id'], set: ['event_time', 'content_hash'] }, rows };
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
      sql: 'UPDATE fhir_resource SET version = ?, event_time = ?, last_updated = ?, deleted = 0, merged_into = ?, content = ?, content_hash = ? WHERE resource_type = ? AND id = ?',
      params: [s.version, s.eventTime, now, index.mergedInto, json, s.hash, s.type, s.id],
    };
  }
  yield* insertRows(
    'fhir_resource (resource_type, id, version, event_time, last_updated, deleted, merged_into, content, content_hash)',
    rows.filter((r) => !r.s.stored).map(({ s, json, index }) => [s.type, s.id, s.version, s.eventTime, now, 0, index.mergedInto, json, s.hash]),
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

function* deleteIndexRows(states: WrittenState[]): Generator<Step, void, Row[]> {
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

export function chunks<T>(items: readonly T[], paramsPerItem: number): T[][] {
  const size = Math.max(1, Math.floor(maxParams / paramsPerItem));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
