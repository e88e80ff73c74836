import { describe, expect, it } from 'vitest';
import { dedupKeys, planInserts, resolvePlan, splitResults } from './insert-plan.ts';
import { maxStatementRows, statementSizes, type InsertTraits } from './mariadb-insert.ts';
import type { NewMessage } from './store.ts';

const row = (dedupKey: string | null, contentHash = `h-${dedupKey}`, bytes = 100): NewMessage =>
  ({ dedupKey, contentHash, ackCode: 'AA', raw: Buffer.alloc(bytes), ack: null }) as unknown as NewMessage;

describe('insert plan', () => {
  it('inserts each key once, answers later rows of the group with the first, and refused rows always insert', () => {
    const group = [row('k1', 'first'), row(null), row('k1', 'second'), row(null), row('k2')];
    const plan = planInserts(group, new Map());
    expect(plan.rows).toEqual([group[0], group[1], group[3], group[4]]);
    expect(resolvePlan(plan, [10, 11, 12, 13])).toEqual([
      { inserted: true, id: 10 },
      { inserted: true, id: 11 },
      { inserted: false, existing: { id: 10, contentHash: 'first', ackCode: 'AA' } },
      { inserted: true, id: 12 },
      { inserted: true, id: 13 },
    ]);
  });

  it('answers keys the table already holds with the stored row, and inserts nothing for them', () => {
    const stored = { id: 5, contentHash: 'old', ackCode: 'AE' };
    const plan = planInserts([row('k1'), row('k1'), row('k2')], new Map([['k1', stored]]));
    expect(plan.rows.map((r) => r.dedupKey)).toEqual(['k2']);
    expect(resolvePlan(plan, [9])).toEqual([
      { inserted: false, existing: stored },
      { inserted: false, existing: stored },
      { inserted: true, id: 9 },
    ]);
  });

  it('lists distinct keys and cuts results back per entry', () => {
    expect(dedupKeys([row('a'), row(null), row('a'), row('b')])).toEqual(['a', 'b']);
    expect(splitResults([1, 3, 2], [1, 2, 3, 4, 5, 6])).toEqual([[1], [2, 3, 4], [5, 6]]);
  });
});

describe('statement sizes', () => {
  const traits: InsertTraits = { maxStatementBytes: 1_000_000, consecutiveIds: true, idStep: 1 };
  const rows = (n: number, bytes = 100): NewMessage[] => Array.from({ length: n }, () => row(null, 'h', bytes));

  it.each([
    [1, [1]],
    [32, [32]],
    [64, [64]],
    [65, [64, 1]],
    [100, [64, 36]],
    [500, [448, 52]],
    [600, [maxStatementRows, 64, 24]],
  ])('%s rows: statements of %j (exact up to 64, multiples of 64 above)', (n, expected) => {
    expect(statementSizes(rows(n), traits)).toEqual(expected);
  });

  it('starts a new statement before max_allowed_packet', () => {
    const sizes = statementSizes(rows(10, 300_000), traits);
    expect(sizes).toEqual([3, 3, 3, 1]);
  });

  it('inserts row by row when the server may not hand out consecutive ids', () => {
    expect(statementSizes(rows(3), { ...traits, consecutiveIds: false })).toEqual([1, 1, 1]);
  });
});
