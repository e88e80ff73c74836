import type { Claim, Dialect, Outcome, SqlParam, Steps } from './claim-steps.ts';

// What happens to a claim after its sinks ran, and its lease renewal. Every write is fenced by the
// claim's token: a holder whose lease was taken over changes nothing.

const idList = (ids: readonly number[]): string => `(${ids.map((id) => String(Math.trunc(id))).join(', ')})`;
const marks = (n: number): string => `(${Array.from({ length: n }, () => '?').join(', ')})`;

/** processing_error is VARCHAR(1000). */
const errorText = (value: string): string => (value.length <= 1000 ? value : `${value.slice(0, 997)}...`);

/** Extends the claim's lease; false when it was lost (taken over): stop before the next side effect. */
export function* renewClaim(d: Dialect, claim: Claim, leaseMs: number): Steps<boolean> {
  if (claim.lanes.length > 0) {
    // Lanes hold the lease of an ordered claim (claimLanes): losing any of them loses the claim.
    const lanes = yield {
      sql: `UPDATE processing_lane SET lease_until = ${d.later(leaseMs)} WHERE owner = ? AND lane_key IN ${marks(claim.lanes.length)}`,
      params: [claim.token, ...claim.lanes],
    };
    return lanes.affected === claim.lanes.length;
  }
  const events = yield {
    sql:
      `UPDATE hl7_message SET next_attempt_at = ${d.later(leaseMs)} WHERE processing_state = 'processing' AND processing_owner = ?` +
      ` AND id IN ${idList(claim.events.map((e) => e.id))}`,
    params: [claim.token],
  };
  return events.affected > 0;
}

/**
 * Writes every event's outcome and frees the lanes, in one transaction (lanes first: the claim's lock
 * order). Fencing: an ordered claim writes only the events of lanes it still owns (and that still
 * carry that lane's key: a re-key at start-up moves events away); a parallel claim only events that
 * still carry its token. Returns rows written.
 */
export function* finishClaim(d: Dialect, claim: Claim, outcomes: ReadonlyMap<number, Outcome>): Steps<number> {
  let fence = `AND processing_state = 'processing' AND processing_owner = ?`;
  let fenceParams: SqlParam[] = [claim.token];
  let events = claim.events;
  if (claim.lanes.length > 0) {
    const owned = yield {
      sql: `SELECT lane_key FROM processing_lane WHERE owner = ? AND lane_key IN ${marks(claim.lanes.length)}${d.forUpdate}`,
      params: [claim.token, ...claim.lanes],
    };
    const kept = owned.rows.map((row) => String(row.lane_key));
    if (kept.length === 0) return 0;
    yield {
      sql: `UPDATE processing_lane SET owner = NULL, lease_until = NULL WHERE lane_key IN ${marks(kept.length)}`,
      params: kept,
    };
    const keptSet = new Set(kept);
    events = events.filter((e) => keptSet.has(e.orderingKey));
    fence = `AND processing_state = 'processing' AND ordering_key IN ${marks(kept.length)}`;
    fenceParams = kept;
  }
  const groups = new Map<string, { set: string; params: SqlParam[]; ids: number[] }>();
  const group = (key: string, set: string, params: SqlParam[], id: number): void => {
    const existing = groups.get(key);
    if (existing) existing.ids.push(id);
    else groups.set(key, { set, params, ids: [id] });
  };
  for (const event of events) {
    const outcome = outcomes.get(event.id) ?? { kind: 'released' };
    switch (outcome.kind) {
      // A final event leaves its lane (ordering_key NULL; a reprocessed one is keyed again, engine
      // adopt()): the row then never grows here, so InnoDB rewrites it where it stands. A row that
      // grows is moved within its page, with a page reorganisation when the page is full: measured
      // ~6 KB of redo and twice the CPU per event.
      case 'processed':
        group('processed', `processing_state = 'processed', processing_attempts = COALESCE(processing_attempts, 0) + 1, processing_error = NULL, processed_at = ${d.now()}, ordering_key = NULL`, [], event.id);
        break;
      case 'skipped':
        group(`skipped\u0000${outcome.reason}`, `processing_state = 'skipped', processing_error = ?, processed_at = ${d.now()}, ordering_key = NULL`, [errorText(outcome.reason)], event.id);
        break;
      // An event that stays in its lane (failed: it blocks the lane) keeps or gets back its key: a
      // parallel claim cleared it (markProcessing).
      case 'failed':
        group(
          `failed\u0000${outcome.attempts}\u0000${outcome.error}\u0000${event.orderingKey}`,
          `processing_state = 'failed', processing_attempts = ?, processing_error = ?, ordering_key = ?`,
          [outcome.attempts, errorText(outcome.error), event.orderingKey],
          event.id,
        );
        break;
      case 'retry':
        // Each has its own jittered time: one statement per event (failures are the rare path).
        group(
          `retry\u0000${event.id}`,
          `processing_state = 'received', processing_attempts = ?, processing_error = ?, next_attempt_at = ${d.later(outcome.delayMs)}, ordering_key = ?`,
          [outcome.attempts, errorText(outcome.error), event.orderingKey],
          event.id,
        );
        break;
      case 'released':
        group(`released\u0000${event.orderingKey}`, `processing_state = 'received', ordering_key = ?`, [event.orderingKey], event.id);
        break;
    }
  }
  let written = 0;
  for (const g of groups.values()) {
    // next_attempt_at held the lease; a retry sets its own below (later assignments win in both engines).
    const set = g.set.includes('next_attempt_at') ? g.set : `${g.set}, next_attempt_at = NULL`;
    const result = yield {
      sql: `UPDATE hl7_message SET ${set}, processing_owner = NULL WHERE id IN ${idList(g.ids)} ${fence}`,
      params: [...g.params, ...fenceParams],
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
