import { keyingOf, orderingKeyFor, type OrderingMode } from './ordering-key.ts';
import { giveBackSql, type Dialect, type Steps } from './claim-steps.ts';

// Lane keys of waiting events (ordering_key): given at ingest, and given again here to events that
// lost theirs (put back by an operator, taken back from a dead parallel claim) or whose keying
// changed with processing.ordering.

const idList = (ids: readonly number[]): string => `(${ids.map((id) => String(Math.trunc(id))).join(', ')})`;
const keyRows = 1000;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Keys `states`' events (all of them, or only those without a key), a page at a time. Returns rows changed. */
function* keyEvents(mode: OrderingMode, states: readonly string[], onlyUnkeyed: boolean): Steps<number> {
  const filter = onlyUnkeyed ? ' AND ordering_key IS NULL' : '';
  let changed = 0;
  for (const state of states) {
    let after = 0;
    for (;;) {
      const page = yield {
        sql:
          `SELECT id, ordering_key, patient_id, patient_authority, sending_application, sending_facility FROM hl7_message` +
          ` WHERE processing_state = ?${filter} AND id > ? ORDER BY id LIMIT ${keyRows}`,
        params: [state, after],
      };
      const byKey = new Map<string, number[]>();
      for (const row of page.rows) {
        const fields = { patientId: str(row.patient_id), patientAuthority: str(row.patient_authority), sendingApplication: str(row.sending_application), sendingFacility: str(row.sending_facility) };
        const key = orderingKeyFor(mode, fields);
        const id = Number(row.id);
        after = id;
        if (row.ordering_key === key) continue;
        byKey.set(key, [...(byKey.get(key) ?? []), id]);
      }
      for (const [key, ids] of byKey) changed += (yield { sql: `UPDATE hl7_message SET ordering_key = ? WHERE id IN ${idList(ids)}`, params: [key] }).affected;
      if (page.rows.length < keyRows) break;
    }
  }
  return changed;
}

/** Waiting and failed events without a key get `mode`'s (an index range on (processing_state, ordering_key, id)). */
export function keyUnkeyed(mode: OrderingMode): Steps<number> {
  return keyEvents(mode, ['received', 'failed'], true);
}

/**
 * At start-up and from time to time: events that wait are keyed for `mode`. When the stored setting
 * names another keying (processing.ordering changed between restarts) every claim is taken back and
 * every waiting event re-keyed; otherwise only events without a key are keyed. Returns rows changed.
 */
export function* keyWaitingEvents(d: Dialect, mode: OrderingMode): Steps<number> {
  const keying = keyingOf(mode);
  const setting = yield { sql: `SELECT value FROM processing_setting WHERE name = 'ordering'${d.forUpdate}`, params: [] };
  if (setting.rows[0]?.value === keying) return yield* keyUnkeyed(mode);
  // Claims held under the old keys (an instance that died, or one still running the old setting) are
  // taken back; their finish then writes nothing (finishClaim's fence).
  yield* takeBackAll();
  const changed = yield* keyEvents(mode, ['received', 'failed'], false);
  yield { sql: `DELETE FROM processing_setting WHERE name = 'ordering'`, params: [] };
  yield { sql: `INSERT INTO processing_setting (name, value) VALUES ('ordering', ?)`, params: [keying] };
  return changed;
}

/** Every claim given back: lanes free, events in work waiting again (attempts + 1). SQLite's start-up (one instance). */
export function* takeBackAll(): Steps<void> {
  yield { sql: 'DELETE FROM processing_lane', params: [] };
  yield { sql: giveBackSql, params: [] };
}
