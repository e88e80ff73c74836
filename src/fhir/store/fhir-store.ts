import type { StoreHandle } from '../../store/store.ts';
import type { FhirResource, Projection } from '../projection.ts';
import type { SearchSpec } from '../search/params.ts';
import { marks, searchWhere, type SqlPart } from '../search/sql.ts';
import { applySteps, type WriteOutcome } from './apply.ts';
import { createFhirEngine, type Row } from './engine.ts';
import { patientTimeline, writtenBy, type TimelineMessage, type WrittenVersion } from './written.ts';

export type { TimelineMessage, WrittenVersion } from './written.ts';

// FHIR resources in the service's own database (Store.handle): apply projections (versions, history,
// search rows), read current and past versions, search, and the patient compartment ($everything).

export type StoredResource = { resource: FhirResource; version: number; lastUpdated: number; deleted: boolean; mergedInto: string | null };
export type SearchPage = { total: number; matches: StoredResource[] };
export type EverythingQuery = { patientIds: string[]; types: string[] | null; since: number | null; count: number; offset: number };

export type FhirStore = {
  /** One transaction; one outcome per write, in order. */
  apply(projection: Projection): Promise<WriteOutcome[]>;
  /** Several projections, in order, in one transaction (one commit for a batch of events). */
  applyAll(projections: readonly Projection[]): Promise<WriteOutcome[][]>;
  read(type: string, id: string): Promise<StoredResource | null>;
  readVersion(type: string, id: string, version: number): Promise<FhirResource | null>;
  /** Newest first. */
  history(type: string, id: string): Promise<FhirResource[]>;
  search(spec: SearchSpec): Promise<SearchPage>;
  /** The patient and the patients merged into it (transitively), the patient first. */
  withMerged(patientId: string): Promise<string[]>;
  everything(query: EverythingQuery): Promise<SearchPage>;
  /** The versions these messages wrote (projections applied with a messageId). */
  writtenBy(messageIds: readonly number[]): Promise<WrittenVersion[]>;
  /** The newest `limit` stored messages that wrote versions in these patients' compartments, newest first. */
  timeline(patientIds: readonly string[], limit: number): Promise<TimelineMessage[]>;
};

export type FhirStoreOptions = { clock?: () => number };

const columns = 'r.version, r.last_updated, r.deleted, r.merged_into, r.content';

export function createFhirStore(handle: StoreHandle, options: FhirStoreOptions = {}): FhirStore {
  const engine = createFhirEngine(handle);
  const clock = options.clock ?? Date.now;
  const page = async (where: SqlPart, order: string, count: number, offset: number): Promise<SearchPage> => {
    const [counted] = await engine.all(`SELECT COUNT(*) AS n FROM fhir_resource r WHERE ${where.sql}`, where.params);
    const total = Number(counted?.n ?? 0);
    if (count === 0 || offset >= total) return { total, matches: [] };
    // Whole numbers checked by the parser: inlined, as LIMIT placeholders differ between servers.
    const rows = await engine.all(`SELECT ${columns} FROM fhir_resource r WHERE ${where.sql} ORDER BY ${order} LIMIT ${count} OFFSET ${offset}`, where.params);
    return { total, matches: rows.map(toStored) };
  };
  return {
    apply: async (projection) => (await engine.transaction(() => applySteps([projection], clock())))[0] ?? [],
    applyAll: (projections) => engine.transaction(() => applySteps(projections, clock())),
    async read(type, id) {
      const rows = await engine.all(`SELECT ${columns} FROM fhir_resource r WHERE r.resource_type = ? AND r.id = ?`, [type, id]);
      return rows[0] === undefined ? null : toStored(rows[0]);
    },
    async readVersion(type, id, version) {
      const rows = await engine.all('SELECT content FROM fhir_history WHERE resource_type = ? AND id = ? AND version = ?', [type, id, version]);
      return rows[0] === undefined ? null : parse(rows[0].content);
    },
    async history(type, id) {
      const rows = await engine.all('SELECT content FROM fhir_history WHERE resource_type = ? AND id = ? ORDER BY version DESC', [type, id]);
      return rows.map((r) => parse(r.content));
    },
    search: (spec) => page(searchWhere(spec), 'r.id', spec.count, spec.offset),
    async withMerged(patientId) {
      const found = [patientId];
      // Breadth first over merged_into, bounded: a chain of merges is short, a cycle stops here.
      for (let i = 0; i < found.length && found.length < 100; i++) {
        const rows = await engine.all("SELECT id FROM fhir_resource WHERE merged_into = ? AND resource_type = 'Patient'", [found[i]]);
        for (const row of rows) if (!found.includes(String(row.id))) found.push(String(row.id));
      }
      return found;
    },
    everything(query) {
      const parts: SqlPart[] = [
        {
          sql: `r.deleted = 0 AND (r.resource_type, r.id) IN (SELECT c.resource_type, c.resource_id FROM fhir_compartment c WHERE c.patient_id IN (${marks(query.patientIds)}))`,
          params: query.patientIds,
        },
      ];
      if (query.types !== null) parts.push({ sql: `r.resource_type IN (${marks(query.types)})`, params: query.types });
      if (query.since !== null) parts.push({ sql: 'r.last_updated >= ?', params: [query.since] });
      const where = { sql: parts.map((p) => p.sql).join(' AND '), params: parts.flatMap((p) => p.params) };
      return page(where, "CASE WHEN r.resource_type = 'Patient' THEN 0 ELSE 1 END, r.resource_type, r.id", query.count, query.offset);
    },
    writtenBy: (messageIds) => writtenBy(engine, messageIds),
    timeline: (patientIds, limit) => patientTimeline(engine, patientIds, limit),
  };
}

function toStored(row: Row): StoredResource {
  return {
    resource: parse(row.content),
    version: Number(row.version),
    lastUpdated: Number(row.last_updated),
    deleted: Number(row.deleted) !== 0,
    mergedInto: row.merged_into === null || row.merged_into === undefined ? null : String(row.merged_into),
  };
}

function parse(content: unknown): FhirResource {
  return JSON.parse(String(content)) as FhirResource;
}
