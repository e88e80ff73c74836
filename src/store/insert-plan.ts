import type { ExistingMessage, InsertResult, NewMessage } from './store.ts';

// What a group insert must write, decided before the statement runs, so that the one multi-row INSERT
// never trips over its own rows: a dedup key seen earlier in the group is answered with that earlier
// row, a key already in the table (when known) with the stored row. Refused rows (dedupKey null)
// never conflict.

type Slot = { insert: number } | { sameAs: number } | { existing: ExistingMessage };

export type InsertPlan = {
  /** The rows to insert, in group order. */
  rows: NewMessage[];
  /** One slot per group row: where its result comes from. */
  slots: Slot[];
};

export function planInserts(group: readonly NewMessage[], known: ReadonlyMap<string, ExistingMessage>): InsertPlan {
  const rows: NewMessage[] = [];
  const slots: Slot[] = [];
  const firstWithKey = new Map<string, number>();
  for (const row of group) {
    const key = row.dedupKey;
    const existing = key === null ? undefined : known.get(key);
    const earlier = key === null ? undefined : firstWithKey.get(key);
    if (existing !== undefined) slots.push({ existing });
    else if (earlier !== undefined) slots.push({ sameAs: earlier });
    else {
      if (key !== null) firstWithKey.set(key, rows.length);
      slots.push({ insert: rows.length });
      rows.push(row);
    }
  }
  return { rows, slots };
}

/** Results in group order, given the ids the inserted rows received. */
export function resolvePlan(plan: InsertPlan, ids: readonly number[]): InsertResult[] {
  const idOf = (at: number): number => {
    const id = ids[at];
    if (id === undefined) throw new Error(`no id for inserted row ${at}`);
    return id;
  };
  return plan.slots.map((slot): InsertResult => {
    if ('existing' in slot) return { inserted: false, existing: slot.existing };
    if ('insert' in slot) return { inserted: true, id: idOf(slot.insert) };
    const first = plan.rows[slot.sameAs]!;
    return { inserted: false, existing: { id: idOf(slot.sameAs), contentHash: first.contentHash, ackCode: first.ackCode } };
  });
}

/** The distinct dedup keys of a group (refused rows have none). */
export function dedupKeys(group: readonly NewMessage[]): string[] {
  const keys = new Set<string>();
  for (const row of group) if (row.dedupKey !== null) keys.add(row.dedupKey);
  return [...keys];
}

/** Cuts the group's results back into one list per entry. */
export function splitResults<T>(sizes: readonly number[], results: readonly T[]): T[][] {
  const parts: T[][] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(results.slice(at, at + size));
    at += size;
  }
  return parts;
}
