import type { Dialect, Steps } from './claim-steps.ts';

// Which lanes a claim tries (claim-steps.ts locks them): read without a transaction.

const marks = (n: number): string => `(${Array.from({ length: n }, () => '?').join(', ')})`;
const text = (value: unknown): string => String(value);

/**
 * Lanes worth trying, oldest waiting event first: with `sweep`, lanes whose lease ran out (a crashed
 * or stalled holder); the lanes of the oldest waiting events; and, when those are many (a blocked
 * lane with a deep backlog must not hide the others), more found by walking the lane index from
 * `cursor` (one index dive each).
 */
export function* discoverLanes(
  d: Dialect,
  want: number,
  held: ReadonlySet<string>,
  cursor: string,
  sweep = true,
): Steps<{ lanes: string[]; cursor: string }> {
  const lanes = new Set<string>();
  const add = (key: unknown): void => {
    if (typeof key === 'string' && !held.has(key)) lanes.add(key);
  };
  if (sweep) {
    // Lanes whose lease ran out; rare, so only when the engine sweeps (every leaseMs / 3): the lane
    // table, small, has no index on lease_until and is read whole.
    const lapsed = yield { sql: `SELECT lane_key FROM processing_lane WHERE lease_until < ${d.now()} LIMIT ${want}`, params: [] };
    for (const row of lapsed.rows) add(row.lane_key);
  }
  const scan = want * 4;
  const front = yield { sql: `SELECT ordering_key FROM hl7_message${d.byState} WHERE processing_state = 'received' ORDER BY id LIMIT ${scan}`, params: [] };
  for (const row of front.rows) if (lanes.size < want) add(row.ordering_key);
  if (front.rows.length < scan) return { lanes: [...lanes], cursor };
  let next = cursor;
  let wrapped = false;
  // Up to 32 dives (~0.1 ms each) while short of lanes; else one, so the cursor still turns (the
  // front may be all blocked lanes: the next claims then try others).
  for (let dive = 0; dive < 32 && (dive < 1 || lanes.size < want); dive += 1) {
    const found = yield {
      sql: `SELECT ordering_key FROM hl7_message WHERE processing_state = 'received' AND ordering_key > ? ORDER BY ordering_key LIMIT 1`,
      params: [next],
    };
    const key = found.rows[0]?.ordering_key;
    if (typeof key !== 'string') {
      if (wrapped) break;
      wrapped = true;
      next = '';
      continue;
    }
    add(key);
    next = key;
  }
  return { lanes: [...lanes], cursor: next };
}

/** Lane rows must exist to be locked. Outside the claim's transaction; rows that exist are left alone. */
export function* ensureLanes(d: Dialect, lanes: readonly string[]): Steps<void> {
  if (lanes.length === 0) return;
  const existing = yield { sql: `SELECT lane_key FROM processing_lane WHERE lane_key IN ${marks(lanes.length)}`, params: [...lanes] };
  const have = new Set(existing.rows.map((row) => text(row.lane_key)));
  const missing = lanes.filter((lane) => !have.has(lane)).sort();
  if (missing.length === 0) return;
  yield { sql: `${d.insertIgnore} processing_lane (lane_key) VALUES ${missing.map(() => '(?)').join(', ')}`, params: missing };
}
