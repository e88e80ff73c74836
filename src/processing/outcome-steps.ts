import { keyingOf, orderingKeyFor, type OrderingMode } from './ordering-key.ts';
import type { Claim, Dialect, Outcome, SqlParam, Steps } from './claim-steps.ts';

// What happens to a claim after its sinks ran, its lease renewal, and the start-up re-keying. Every
// write carries the claim's token: a holder whose lease was taken over changes nothing (fencing).

const idList = (ids: readonly number[]): string => `(${ids.map((id) => String(Math.trunc(id))).join(', ')})`;
const marks = (n: number): string => `(${Array.from({ length: n }, () => '?').join(', ')})`;

/** processing_error is VARCHAR(1000). */
const errorText = (value: string): string => (value.length <= 1000 ? value : `${value.slice(0, 997)}...`);

/** Extends the claim's lease; false when it was lost (taken over): stop before the next side effect. */
export function* renewClaim(d: Dialect, claim: Claim, leaseMs: number): Steps<boolean> {
  if (claim.lanes.length > 0) {
    yield {
      sql: `UPDATE processing_lane SET lease_until = ${d.later(leaseMs)} WHERE owner = ? AND lane_key IN ${marks(claim.lanes.length)}`,
      params: [claim.token, ...claim.lanes],
    };
  }
  const events = yield {
    sql:
      `UPDATE hl7_message SET next_attempt_at = ${d.later(leaseMs)} WHERE processing_state = 'processing' AND processing_owner = ?` +
      ` AND id IN ${idList(claim.events.map((e) => e.id))}`,
    params: [claim.token],
  };
  return events.affected > 0;
}

/** Writes every event's outcome and frees the lanes, in one transaction (lanes first: the claim's lock order). Returns rows written. */
export function* finishClaim(d: Dialect, claim: Claim, outcomes: ReadonlyMap<number, Outcome>): Steps<number> {
  if (claim.lanes.length > 0) {
    yield {
      sql: `UPDATE processing_lane SET owner = NULL, lease_until = NULL WHERE owner = ? AND lane_key IN ${marks(claim.lanes.length)}`,
      params: [claim.token, ...claim.lanes],
    };
  }
  const fence = `AND processing_state = 'processing' AND processing_owner = ?`;
  const groups = new Map<string, { set: string; params: SqlParam[]; ids: number[] }>();
  const group = (key: string, set: string, params: SqlParam[], id: number): void => {
    const existing = groups.get(key);
    if (existing) existing.ids.push(id);
    else groups.set(key, { set, params, ids: [id] });
  };
  for (const event of claim.events) {
    const outcome = outcomes.get(event.id) ?? { kind: 'released' };
    switch (outcome.kind) {
      case 'processed':
        group('processed', `processing_state = 'processed', processing_attempts = COALESCE(processing_attempts, 0) + 1, processing_error = NULL, processed_at = ${d.now()}`, [], event.id);
        break;
      case 'skipped':
        group(`skipped\u0000${outcome.reason}`, `processing_state = 'skipped', processing_error = ?, processed_at = ${d.now()}`, [errorText(outcome.reason)], event.id);
        break;
      case 'failed':
        group(`failed\u0000${outcome.attempts}\u0000${outcome.error}`, `processing_state = 'failed', processing_attempts = ?, processing_error = ?`, [outcome.attempts, errorText(outcome.error)], event.id);
        break;
      case 'retry':
        // Each has its own jittered time: one statement per event (failures are the rare path).
        group(`retry\u0000${event.id}`, `processing_state = 'received', processing_attempts = ?, processing_error = ?, next_attempt_at = ${d.later(outcome.delayMs)}`, [outcome.attempts, errorText(outcome.error)], event.id);
        break;
      case 'released':
        group('released', `processing_state = 'received'`, [], event.id);
        break;
    }
  }
  let written = 0;
  for (const g of groups.values()) {
    // next_attempt_at held the lease; a retry sets its own below (later assignments win in both engines).
    const set = g.set.includes('next_attempt_at') ? g.set : `${g.set}, next_attempt_at = NULL`;
    const result = yield {
      sql: `UPDATE hl7_message SET ${set}, processing_owner = NULL WHERE id IN ${idList(g.ids)} ${fence}`,
      params: [...g.params, claim.token],
    };
    written += result.affected;
  }
  return written;
}

/** Gives a claim back untouched (close() after the drain timeout): its events wait again, attempts unchanged. */
export function releaseClaim(d: Dialect, claim: Claim): Steps<number> {
  return finishClaim(d, claim, new Map());
}

/** Free lane rows are only a lock's anchor: dropped from time to time so the table stays small. */
export function* dropFreeLanes(d: Dialect, limit: number): Steps<number> {
  const result = yield { sql: `DELETE FROM processing_lane WHERE owner IS NULL${d.deleteLimit(limit)}`, params: [] };
  return result.affected;
}

const keyRows = 1000;

/**
 * At start-up: events that still wait (received, processing, failed) are keyed for `mode`. When the
 * stored setting names another keying (processing.ordering changed between restarts) every one is
 * re-keyed; otherwise only rows stored without a key. Returns how many rows changed.
 */
export function* keyWaitingEvents(d: Dialect, mode: OrderingMode): Steps<number> {
  const keying = keyingOf(mode);
  const setting = yield { sql: `SELECT value FROM processing_setting WHERE name = 'ordering'${d.forUpdate}`, params: [] };
  const stored = setting.rows[0]?.value;
  const all = stored !== keying;
  const filter = all ? '' : ' AND ordering_key IS NULL';
  let changed = 0;
  for (const state of ['received', 'processing', 'failed']) {
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
        const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
        const key = orderingKeyFor(mode, { patientId: str(row.patient_id), patientAuthority: str(row.patient_authority), sendingApplication: str(row.sending_application), sendingFacility: str(row.sending_facility) });
        const id = Number(row.id);
        after = id;
        if (row.ordering_key === key) continue;
        byKey.set(key, [...(byKey.get(key) ?? []), id]);
      }
      for (const [key, ids] of byKey) changed += (yield { sql: `UPDATE hl7_message SET ordering_key = ? WHERE id IN ${idList(ids)}`, params: [key] }).affected;
      if (page.rows.length < keyRows) break;
    }
  }
  if (all) {
    yield { sql: `DELETE FROM processing_setting WHERE name = 'ordering'`, params: [] };
    yield { sql: `INSERT INTO processing_setting (name, value) VALUES ('ordering', ?)`, params: [keying] };
  }
  return changed;
}

/** SQLite runs one instance: at its start nothing can still be in flight, so every lane is free again. */
export function* takeBackAll(): Steps<void> {
  yield { sql: 'DELETE FROM processing_lane', params: [] };
  yield {
    sql:
      `UPDATE hl7_message SET processing_state = 'received', processing_owner = NULL, next_attempt_at = NULL,` +
      ` processing_attempts = COALESCE(processing_attempts, 0) + 1 WHERE processing_state = 'processing'`,
    params: [],
  };
}
