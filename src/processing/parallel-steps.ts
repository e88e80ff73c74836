import { keyUnkeyed } from './keying-steps.ts';
import type { OrderingMode } from './ordering-key.ts';
import { eventColumns, giveBackSql, idList, toEvent, type Claim, type ClaimedEvent, type Dialect, type Steps } from './claim-steps.ts';

// `parallel`: events claimed directly, oldest due first, with no lane; each holds its own lease.

/**
 * `parallel` has no lane: each event carries the claim's token and lease. Its ordering_key (unused
 * while it is in work; the claim holds it in memory) is cleared so the row does not
 * grow (docs/processing.md); finishClaim puts it back on an event that waits again, recoverExpired re-keys a dead claim's.
 */
function* markProcessing(d: Dialect, events: readonly ClaimedEvent[], token: string, leaseMs: number): Steps<void> {
  yield {
    sql:
      `UPDATE hl7_message SET processing_state = 'processing', processing_owner = ?, next_attempt_at = ${d.later(leaseMs)}, ordering_key = NULL` +
      ` WHERE id IN ${idList(events.map((e) => e.id))}`,
    params: [token],
  };
}

/** `parallel`: the oldest due events, whoever's lane; rows others hold are skipped. One transaction. */
export function* claimParallel(d: Dialect, o: { token: string; leaseMs: number; maxEvents: number; maxBytes: number }): Steps<Claim | null> {
  const due = yield {
    sql:
      `SELECT id, LENGTH(raw) AS bytes FROM hl7_message${d.byState} WHERE processing_state = 'received'` +
      ` AND (next_attempt_at IS NULL OR next_attempt_at <= ${d.now()}) ORDER BY id LIMIT ${o.maxEvents}${d.skipLocked}`,
    params: [],
  };
  if (due.rows.length === 0) return null;
  // The rows are locked (SKIP LOCKED took them); only those within the byte bound are read and kept.
  const chosen: number[] = [];
  let bytes = 0;
  for (const row of due.rows) {
    const size = Number(row.bytes);
    if (chosen.length > 0 && bytes + size > o.maxBytes) break;
    bytes += size;
    chosen.push(Number(row.id));
  }
  const read = yield { sql: `SELECT ${eventColumns} FROM hl7_message WHERE id IN ${idList(chosen)}`, params: [] };
  const events = read.rows.map(toEvent).sort((a, b) => a.id - b.id);
  yield* markProcessing(d, events, o.token, o.leaseMs);
  return { token: o.token, lanes: [], events, deepLanes: 0 };
}

/**
 * Events whose own lease ran out (a parallel claim's holder died or stalled) wait again, attempts + 1,
 * and get their lane key back (`mode`'s). Lane claims keep no lease on their events: their lanes
 * lapse instead (claimLanes takes them over).
 */
export function* recoverExpired(d: Dialect, mode: OrderingMode): Steps<number> {
  const result = yield { sql: `${giveBackSql} AND next_attempt_at < ${d.now()}`, params: [] };
  if (result.affected > 0) yield* keyUnkeyed(mode);
  return result.affected;
}
