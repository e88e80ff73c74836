import { z } from 'zod';
import type { SinkEvent } from './sink.ts';

// The SQL of claims, leases and outcomes, once for both engines. Each action is a generator that
// yields statements and receives their results, so MariaDB runs it over a connection (async) and
// SQLite inside one synchronous transaction (claim-store.ts): the same steps, the same order.
//
// State lives in hl7_message; processing_lane rows only say who holds a lane, until when. A lane's
// events run in id order: the claim locks free lanes (SKIP LOCKED), then takes each lane's oldest
// waiting events up to the first that is not due yet or that follows a failed event (onFailure:
// block). See docs/processing.md.

export type SqlParam = string | number | null;
export type Step = { sql: string; params: SqlParam[] };
export type StepResult = { rows: Record<string, unknown>[]; affected: number };
export type Steps<T> = Generator<Step, T, StepResult>;

/** What differs between the engines' SQL. Time is the database's (MariaDB) or the process's (SQLite). */
export type Dialect = {
  /** An SQL expression for now (UTC). */
  now(): string;
  /** An SQL expression for now + ms. */
  later(ms: number): string;
  /** Suffix of a locking read that waits (MariaDB ` FOR UPDATE`; SQLite: the transaction is the lock). */
  forUpdate: string;
  /** Suffix of a locking read that skips rows others hold. */
  skipLocked: string;
  insertIgnore: string;
  /** ` LIMIT n` where DELETE takes one (MariaDB); SQLite builds may not. */
  deleteLimit(n: number): string;
  /**
   * After `FROM hl7_message`: read by (processing_state, id). Without it MariaDB walks the primary key
   * for `WHERE processing_state = ? ORDER BY id LIMIT n`, past every processed row: each claim then
   * costs the whole history (measured: 1,800 → 120 events/s as 40,000 processed rows piled up).
   */
  byState: string;
  /** After `FROM hl7_message`: read by (processing_state, ordering_key, id). */
  byLane: string;
  /** Locking reads (each with its own ORDER BY and LIMIT) as one statement, rows of each in turn. */
  unionAll(selects: readonly string[]): string;
};

export type ClaimedEvent = Omit<SinkEvent, 'upstream'> & { attempts: number };

/**
 * Events in work given back to wait again, their lost attempt counted; the caller appends which
 * (` AND …`): a lane taken over, a lapsed parallel lease, everything at a single instance's start.
 */
export const giveBackSql =
  `UPDATE hl7_message SET processing_state = 'received', processing_owner = NULL, next_attempt_at = NULL,` +
  ` processing_attempts = COALESCE(processing_attempts, 0) + 1 WHERE processing_state = 'processing'`;

/** What one claim holds: its fencing token, the lanes it leased (none in parallel), its events by lane then id. */
export type Claim = {
  token: string;
  lanes: string[];
  events: ClaimedEvent[];
  /** Lanes whose head read came back full (more events waited behind): the backlog is deep. */
  deepLanes: number;
};

export type Outcome =
  | { kind: 'processed' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed'; error: string; attempts: number }
  | { kind: 'retry'; error: string; attempts: number; delayMs: number }
  /** Not attempted (an earlier event of its lane failed in this claim): waiting again as it was. */
  | { kind: 'released' };

export const eventColumns =
  'id, received_at, control_id, message_type, trigger_event, version, sending_application, sending_facility, ' +
  'ordering_key, charset, raw, processing_attempts';

const eventRow = z.object({
  id: z.coerce.number().int(),
  received_at: z.coerce.date(),
  control_id: z.string().nullable(),
  message_type: z.string().nullable(),
  trigger_event: z.string().nullable(),
  version: z.string().nullable(),
  sending_application: z.string().nullable(),
  sending_facility: z.string().nullable(),
  ordering_key: z.string(),
  charset: z.string().nullable(),
  raw: z.instanceof(Buffer),
  processing_attempts: z.coerce.number().int().nullable(),
});

export function toEvent(value: unknown): ClaimedEvent {
  const r = eventRow.parse(value);
  return {
    id: r.id,
    receivedAt: r.received_at,
    controlId: r.control_id,
    messageType: r.message_type,
    triggerEvent: r.trigger_event,
    version: r.version,
    sendingApplication: r.sending_application,
    sendingFacility: r.sending_facility,
    orderingKey: r.ordering_key,
    charset: r.charset,
    raw: r.raw,
    attempts: r.processing_attempts ?? 0,
  };
}

const marks = (n: number): string => `(${Array.from({ length: n }, () => '?').join(', ')})`;
/** ids come from our own reads (integers), so they are inlined: one statement text per shape is not needed. */
export const idList = (ids: readonly number[]): string => `(${ids.map((id) => String(Math.trunc(id))).join(', ')})`;
const text = (value: unknown): string => String(value);
/** Binary order, as the utf8mb4_bin index (and SQLite) sort keys: only lane grouping matters here. */
const laneOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export type LaneClaimOptions = {
  token: string;
  leaseMs: number;
  maxEvents: number;
  /**
   * Lanes one claim leases at most (default maxEvents). Fewer lanes, more events each: each lane
   * costs its lock, head read and lease writes, so a deep backlog drains cheaper (engine.ts adapts it).
   */
  maxLanes?: number;
  /** A lane of the last claim was deep: read heads per lane (deepHeads) even when perLane is small. */
  deep?: boolean;
  /** Message bytes one claim may hold (the first event is taken whatever its size). */
  maxBytes: number;
  blockOnFailure: boolean;
};

/**
 * Many lanes, each bringing one or two events (the steady state): one index range over all of them,
 * in (ordering_key, id) order, cut by a LIMIT. Cheap while lanes are shallow (~20 us a lane; the
 * UNION ALL below costs ~70 us a lane in statement overhead); a deep lane first in key order takes
 * the whole LIMIT, so the engine uses it only after a claim with no deep lane (lane-budget.ts).
 */
function shallowHeads(d: Dialect, locked: readonly string[], perLane: number): Step {
  return {
    sql:
      `SELECT id, ordering_key FROM hl7_message${d.byLane} WHERE processing_state = 'received' AND ordering_key IN ${marks(locked.length)}` +
      ` ORDER BY ordering_key, id LIMIT ${(perLane + 1) * locked.length}${d.forUpdate}`,
    params: [...locked],
  };
}

/**
 * Fewer lanes, more events each: one index range per lane on (processing_state, ordering_key, id),
 * each cut by its own LIMIT, so a deep lane costs only that LIMIT. (An `ordering_key IN (…)` read
 * without a cut made MariaDB read, lock and sort every waiting event of those lanes: 160 ms a claim
 * at 60,000 waiting.)
 */
function deepHeads(d: Dialect, locked: readonly string[], perLane: number): Step {
  return {
    sql: d.unionAll(
      locked.map(() => `SELECT id, ordering_key FROM hl7_message${d.byLane} WHERE processing_state = 'received' AND ordering_key = ? ORDER BY id LIMIT ${perLane + 1}`),
    ),
    params: [...locked],
  };
}

/** One transaction: lock free lanes, recover a dead holder's events, take each lane's due head run. */
export function* claimLanes(d: Dialect, candidates: readonly string[], o: LaneClaimOptions): Steps<Claim | null> {
  if (candidates.length === 0) return null;
  const sorted = [...candidates].sort();
  const free = yield {
    sql:
      `SELECT lane_key, owner FROM processing_lane WHERE lane_key IN ${marks(sorted.length)} AND (owner IS NULL OR lease_until < ${d.now()})` +
      ` ORDER BY lane_key LIMIT ${sorted.length}${d.skipLocked}`,
    params: sorted,
  };
  // The first maxLanes free lanes in the candidates' order (oldest waiting first); the others were
  // locked only for this short transaction and are left as they are.
  const rank = new Map(candidates.map((lane, i) => [lane, i]));
  const freeRows = [...free.rows]
    .sort((a, b) => (rank.get(text(a.lane_key)) ?? 0) - (rank.get(text(b.lane_key)) ?? 0))
    .slice(0, Math.max(1, o.maxLanes ?? o.maxEvents));
  const locked = freeRows.map((row) => text(row.lane_key)).sort();
  if (locked.length === 0) return null;
  const inLanes = `ordering_key IN ${marks(locked.length)}`;
  // Events a dead (or too slow) holder left `processing` are first in their lane again: a lane whose
  // lease ran out still names its owner.
  const takenOver = freeRows.filter((row) => row.owner !== null && row.owner !== undefined).map((row) => text(row.lane_key));
  if (takenOver.length > 0) {
    yield { sql: `${giveBackSql} AND ordering_key IN ${marks(takenOver.length)}`, params: takenOver };
  }
  const blockedFrom = new Map<string, number>();
  if (o.blockOnFailure) {
    const failed = yield {
      sql: `SELECT ordering_key, MIN(id) AS first_id FROM hl7_message WHERE processing_state = 'failed' AND ${inLanes} GROUP BY ordering_key`,
      params: locked,
    };
    for (const row of failed.rows) blockedFrom.set(text(row.ordering_key), Number(row.first_id));
  }
  // A waiting read (not SKIP LOCKED): an insert of this lane still uncommitted is waited for, so a
  // lower id can never be passed over (AUTO_INCREMENT ids are handed out before commit). Each lane
  // is read one row past what it may bring (perLane), to tell a deep lane.
  const perLane = Math.max(1, Math.ceil(o.maxEvents / locked.length));
  const heads = perLane <= 2 && o.deep !== true ? yield shallowHeads(d, locked, perLane) : yield deepHeads(d, locked, perLane);
  if (heads.rows.length === 0) return null;
  // One row more than a lane may bring: a lane that has it is deep (more waits behind this claim).
  const headCount = new Map<string, number>();
  const headIds: number[] = [];
  for (const row of heads.rows) {
    const lane = text(row.ordering_key);
    const n = (headCount.get(lane) ?? 0) + 1;
    headCount.set(lane, n);
    if (n <= perLane) headIds.push(Number(row.id));
  }
  const deepLanes = [...headCount.values()].filter((n) => n > perLane).length;
  // Sizes first, the bytes only of what the claim takes: the message bytes a claim holds in memory
  // are bounded (maxBytes; the first event always fits), whatever batchSize says.
  const sized = yield {
    sql:
      `SELECT id, ordering_key, LENGTH(raw) AS bytes, (next_attempt_at IS NULL OR next_attempt_at <= ${d.now()}) AS due FROM hl7_message` +
      ` WHERE id IN ${idList(headIds)}`,
    params: [],
  };
  const waiting = [...sized.rows].sort((a, b) => laneOrder(text(a.ordering_key), text(b.ordering_key)) || Number(a.id) - Number(b.id));
  const chosen: number[] = [];
  const stopped = new Set<string>();
  let bytes = 0;
  for (const row of waiting) {
    const lane = text(row.ordering_key);
    const id = Number(row.id);
    if (stopped.has(lane)) continue;
    const blocker = blockedFrom.get(lane);
    const size = Number(row.bytes);
    if (Number(row.due) !== 1 || (blocker !== undefined && blocker < id) || (chosen.length > 0 && bytes + size > o.maxBytes)) {
      stopped.add(lane);
      continue;
    }
    bytes += size;
    chosen.push(id);
  }
  if (chosen.length === 0) return null;
  const read = yield { sql: `SELECT ${eventColumns} FROM hl7_message WHERE id IN ${idList(chosen)}`, params: [] };
  const events = read.rows.map(toEvent).sort((a, b) => laneOrder(a.orderingKey, b.orderingKey) || a.id - b.id);
  if (events.length === 0) return null;
  const lanes = [...new Set(events.map((e) => e.orderingKey))];
  yield {
    sql: `UPDATE processing_lane SET owner = ?, lease_until = ${d.later(o.leaseMs)} WHERE lane_key IN ${marks(lanes.length)}`,
    params: [o.token, ...lanes],
  };
  // The lane row holds the claim's token and lease; the events only change state. That update
  // leaves the row's size as it is, so InnoDB rewrites it in place (a token and a lease time on the
  // row grew it: a page reorganisation and ~8 KB of redo per event, measured).
  yield {
    sql: `UPDATE hl7_message SET processing_state = 'processing', next_attempt_at = NULL WHERE id IN ${idList(events.map((e) => e.id))}`,
    params: [],
  };
  return { token: o.token, lanes, events, deepLanes };
}
