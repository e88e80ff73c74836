import { expect } from 'vitest';
import type { DbConfig } from '../../src/config/schema.ts';
import { countReceivedRows, duplicatedIds } from './db-rows.ts';
import { isStoreNak, resend, type LoadRun } from './fault-load.ts';

// What every database fault test asserts once the fault is over and the load stopped (the answers
// of `run`), then the retransmission a real sender would make of every refused message.

export type AfterFault = { db: DbConfig; port: number; prefix: string; answerBoundMs: number; minRefused: number };

export async function expectNothingLost(run: LoadRun, { db, port, prefix, answerBoundMs, minRefused }: AfterFault): Promise<void> {
  expect(run.problems).toEqual([]);
  const accepted = run.answers.filter((a) => a.code === 'AA');
  const refused = run.answers.filter((a) => a.code !== 'AA');
  expect(refused.length).toBeGreaterThanOrEqual(minRefused);
  expect(refused.filter((a) => !isStoreNak(a))).toEqual([]);
  // Never a hang: each answer came within the store's budget (plus slack) of the service being free to give it.
  expect(Math.max(...run.answers.map((a) => a.gapMs))).toBeLessThan(answerBoundMs);

  // Every AA is in the database, once: read on a connection of our own, not through the service.
  const before = await countReceivedRows(db, prefix);
  expect(accepted.filter((a) => before.received.get(a.controlId) !== 1).map((a) => a.controlId)).toEqual([]);
  expect(duplicatedIds(before)).toEqual([]);

  // The senders retransmit what was refused: AA each, and exactly one row each. Some were committed
  // although the service had answered AR (the commit outran the fault, or a statement given up on
  // completed later): the dedup key answers those AA without a second row.
  const codes = await resend(port, refused.map((a) => run.sent.get(a.controlId) as Buffer), answerBoundMs);
  expect(codes.filter((code) => code !== 'AA')).toEqual([]);
  const after = await countReceivedRows(db, prefix);
  expect(refused.filter((a) => after.received.get(a.controlId) !== 1).map((a) => a.controlId)).toEqual([]);
  expect(duplicatedIds(after)).toEqual([]);
  expect(after.received.size).toBe(accepted.length + refused.length);
}

/** Resolves once every sender of `run` got an AA for a message sent after `since`. */
export function untilAaEverywhere(run: LoadRun, senders: number, since: number, what: string): Promise<void> {
  const all = Array.from({ length: senders }, (_, s) => s);
  return run.until(() => all.every((s) => run.answers.some((a) => a.sender === s && a.sentAt > since && a.code === 'AA')), 20_000, what);
}
