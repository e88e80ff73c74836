import { resultOf, type AckCode, type AckResult } from '../hl7/ack.ts';
import type { Issue } from '../hl7/errors.ts';
import type { NewMessage } from '../store/store.ts';
import { answer } from './answer.ts';
import type { IngestDeps } from './deps.ts';
import type { IngestResult } from './outcome.ts';
import { conflictKey, dedupKey, waitingRow } from './row.ts';
import { conflictIssue, storeUnavailable } from './store-accepted.ts';
import { refusalText } from './store-refused.ts';
import type { Verdict } from './verdict.ts';

// What to do with each message of a batch, decided before the batch's one transaction: the same
// rules as a single message (store-accepted.ts), with duplicates inside the batch resolved here so
// that the store never sees one dedup key twice in a transaction.

/** One message of a batch, judged as a single message would be, and its row before dedup. */
export type Prepared = { verdict: Verdict; base: NewMessage };

type Answer = { code: AckCode; ack: Buffer };

/** A message that gets a row. */
export type RowPlan =
  | ({ kind: 'accept'; prepared: Prepared; row: NewMessage } & Answer)
  | ({ kind: 'refuse'; prepared: Prepared; row: NewMessage; result: 'error' | 'reject'; issues: Issue[] } & Answer);

/** An exact copy of an earlier message of the same batch: answered like it, no row. */
export type SamePlan = { kind: 'same'; prepared: Prepared; first: number };

export type Plan = RowPlan | SamePlan;

/** The final word on one message. */
export type Settled = { prepared: Prepared; result: IngestResult; issues: Issue[]; stored: boolean } & Answer;

export function planBatch(deps: IngestDeps, messages: Prepared[]): Plan[] {
  const seen = new Map<string, { index: number; contentHash: string }>();
  return messages.map((prepared, index): Plan => {
    const { verdict, base } = prepared;
    if (verdict.issues.length > 0) return refusal(deps, prepared, verdict.issues);
    let key = dedupKey(base);
    const earlier = seen.get(key);
    if (earlier !== undefined && earlier.contentHash !== base.contentHash) {
      if (deps.options.onConflict === 'reject') return refusal(deps, prepared, [conflictIssue()]);
      key = conflictKey(key, base.contentHash);
    }
    const same = seen.get(key);
    if (same !== undefined && same.contentHash === base.contentHash) return { kind: 'same', prepared, first: same.index };
    seen.set(key, { index, contentHash: base.contentHash });
    return acceptance(deps, prepared, key);
  });
}

export function acceptance(deps: IngestDeps, prepared: Prepared, key: string): RowPlan {
  const { code, ack } = fullAnswer(deps, prepared.verdict, 'accept', []);
  return { kind: 'accept', prepared, row: waitingRow({ ...prepared.base, dedupKey: key, ackCode: code, ack }, deps.orderingKey), code, ack };
}

export function refusal(deps: IngestDeps, prepared: Prepared, issues: Issue[]): RowPlan {
  const result = resultOf(issues) === 'reject' ? 'reject' : 'error';
  const { code, ack } = fullAnswer(deps, prepared.verdict, result, issues);
  const row: NewMessage = { ...prepared.base, dedupKey: null, status: 'rejected', ackCode: code, ack, error: refusalText(issues) };
  return { kind: 'refuse', prepared, row, result, issues, code, ack };
}

/** The main transaction failed: accepted messages are answered AR 207 (send again), refusals keep their NAK. */
export function unavailable(deps: IngestDeps, plan: Plan): Settled {
  const { prepared } = plan;
  if (plan.kind === 'refuse') return { prepared, result: plan.result, issues: plan.issues, stored: false, code: plan.code, ack: plan.ack };
  const issue = storeUnavailable();
  return { prepared, result: 'reject', issues: [issue], stored: false, ...fullAnswer(deps, prepared.verdict, 'reject', [issue]) };
}

/** An exact copy inside the batch is answered as its first occurrence was, without a row. */
export function settleSame(deps: IngestDeps, plan: SamePlan, first: Settled): Settled {
  const { verdict } = plan.prepared;
  if (first.result === 'accept' || first.result === 'duplicate') {
    return { prepared: plan.prepared, result: 'duplicate', issues: [], stored: false, ...fullAnswer(deps, verdict, 'accept', []) };
  }
  const result = first.result === 'reject' ? 'reject' : 'error';
  return { prepared: plan.prepared, result, issues: first.issues, stored: false, ...fullAnswer(deps, verdict, result, first.issues) };
}

/**
 * Every message of a batch is answered, whatever its MSH-15/MSH-16 say (decisions.md): the envelope's
 * counts must match what was sent, ACK messages included. A batch of nothing but ACKs (a batch
 * acknowledgement) is not answered at all (batch.ts).
 */
function fullAnswer(deps: IngestDeps, verdict: Verdict, result: AckResult, issues: Issue[]): Answer {
  const { code, ack } = answer(deps, verdict, result, issues, { mode: 'always', evenAnAck: true });
  if (code === null || ack === null) throw new Error('ackMode always gave no answer');
  return { code, ack };
}
