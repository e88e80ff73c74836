import { buildBatchAnswer } from '../hl7/batch-ack.ts';
import type { BatchEnvelope } from '../hl7/batch.ts';
import type { InsertResult } from '../store/store.ts';
import {
  acceptance,
  planBatch,
  refusal,
  settleSame,
  unavailable,
  type Plan,
  type Prepared,
  type RowPlan,
  type Settled,
} from './batch-plan.ts';
import type { IngestDeps } from './deps.ts';
import { storeErrorSummary } from './log.ts';
import { outcomeOf, type IngestOutcome } from './outcome.ts';
import { conflictKey } from './row.ts';
import { conflictIssue } from './store-accepted.ts';
import { isAckMessage } from '../hl7/validate.ts';
import type { Verdict } from './verdict.ts';

// An HL7 batch (FHS/BHS … BTS/FTS): each message judged as a single one, all rows committed in ONE
// transaction (store.insertMessages), then one answer: the envelope holding one ACK per message.
// A message whose MSH-10 was already stored by this sender with other content needs a second
// write (a refused row, or a row under a content key): those few rows go in a second transaction,
// after the first committed, exactly as a single message does (store-accepted.ts).

export type BatchMessage = { verdict: Verdict; outcome: IngestOutcome };
export type BatchIngest = { outcome: IngestOutcome; messages: BatchMessage[] };

export async function ingestBatch(
  deps: IngestDeps,
  envelope: BatchEnvelope,
  reference: Verdict,
  prepare: (bytes: Buffer) => Prepared,
): Promise<BatchIngest> {
  const prepared = envelope.batches.flatMap((batch) => batch.messages.map(prepare));
  // A batch acknowledgement (nothing but ACK messages) is stored and, like any ACK, never answered:
  // its rows hold no ACK, since none is sent.
  const onlyAcks = prepared.length > 0 && prepared.every((p) => isAckMessage(p.verdict.header));
  const plans = planBatch(deps, prepared).map((plan) => (onlyAcks && plan.kind !== 'same' ? unanswered(plan) : plan));
  const { settled, committed } = await storeBatch(deps, plans);
  const messages = settled.map((s) => ({
    verdict: s.prepared.verdict,
    outcome: outcomeOf(s.prepared.verdict, s.result, { code: s.code, ack: s.ack }, s.issues, s.stored),
  }));
  const acks: Buffer[][] = [];
  let next = 0;
  for (const batch of envelope.batches) acks.push(settled.slice(next, (next += batch.messages.length)).map((s) => s.ack));
  const ack = buildBatchAnswer({
    envelope,
    acks,
    now: deps.clock(),
    newControlId: deps.newControlId,
    sendingApplication: deps.options.ackSendingApplication,
    sendingFacility: deps.options.ackSendingFacility,
  });
  const storeUnavailable = !committed && plans.length > 0;
  const outcome: IngestOutcome = {
    ...outcomeOf(reference, 'batch', { code: null, ack: onlyAcks ? null : ack }, [], committed),
    charset: commonCharset(settled),
    httpStatus: storeUnavailable ? 503 : 200,
    batch: { batches: envelope.batches.length, messages: messages.map((m) => m.outcome), storeUnavailable },
  };
  return { outcome, messages };
}

/** `committed`: the batch's transaction went through (not said of an empty batch: it writes nothing). */
async function storeBatch(deps: IngestDeps, plans: Plan[]): Promise<{ settled: Settled[]; committed: boolean }> {
  const rowPlans = plans.filter(isRowPlan);
  const results = await insertAll(deps, rowPlans, 'batch could not be stored: every message answered AR');
  if (results === null) return { settled: plans.map((p) => unavailable(deps, p)), committed: false };
  const firstRound = rowPlans.map((plan, i) => ({ plan, step: settle(deps, plan, results[i]) }));
  const retries = firstRound.flatMap(({ step }) => (isRowPlan(step) ? [step] : []));
  const retried = await insertAll(deps, retries, 'batch messages conflicting with stored ones could not be stored');
  const byPlan = new Map<Plan, Settled>();
  let r = 0;
  for (const { plan, step } of firstRound) {
    if (!isRowPlan(step)) byPlan.set(plan, step);
    else byPlan.set(plan, retried === null ? unavailable(deps, step) : settleFinal(step, retried[r++]));
  }
  const settled: Settled[] = [];
  for (const plan of plans) {
    const first = plan.kind === 'same' ? settled[plan.first] : undefined;
    const done = plan.kind === 'same' ? first && settleSame(deps, plan, first) : byPlan.get(plan);
    if (done === undefined) throw new Error('a batch message was left unsettled');
    settled.push(done);
  }
  return { settled, committed: rowPlans.length > 0 };
}

function unanswered(plan: RowPlan): RowPlan {
  return { ...plan, row: { ...plan.row, ackCode: null, ack: null } };
}

function isRowPlan(step: Settled | Plan): step is RowPlan {
  return 'kind' in step && step.kind !== 'same';
}

/** null when the store failed (logged): then nothing of this call was committed. */
async function insertAll(deps: IngestDeps, plans: RowPlan[], what: string): Promise<InsertResult[] | null> {
  if (plans.length === 0) return [];
  try {
    return await deps.store.insertMessages(plans.map((p) => p.row));
  } catch (err) {
    deps.log.error({ err: storeErrorSummary(err), messages: plans.length }, what);
    return null;
  }
}

/** The first transaction's result for one row, or the plan of its second write (a conflict). */
function settle(deps: IngestDeps, plan: RowPlan, result: InsertResult | undefined): Settled | RowPlan {
  if (plan.kind === 'refuse' || result === undefined || result.inserted) return settleFinal(plan, result);
  const { prepared } = plan;
  if (result.existing.contentHash === prepared.base.contentHash) return duplicate(plan);
  if (deps.options.onConflict === 'reject') return refusal(deps, prepared, [conflictIssue()]);
  return acceptance(deps, prepared, conflictKey(plan.row.dedupKey ?? '', prepared.base.contentHash));
}

function settleFinal(plan: RowPlan, result: InsertResult | undefined): Settled {
  const { prepared, code, ack } = plan;
  if (plan.kind === 'refuse') return { prepared, result: plan.result, issues: plan.issues, stored: result !== undefined, code, ack };
  if (result === undefined) throw new Error('the store returned fewer results than rows');
  return result.inserted ? { prepared, result: 'accept', issues: [], stored: true, code, ack } : duplicate(plan);
}

/** Already stored with the same content: the sender missed our answer. Answered again, no row. */
function duplicate(plan: RowPlan): Settled {
  return { prepared: plan.prepared, result: 'duplicate', issues: [], stored: false, code: plan.code, ack: plan.ack };
}

/** The response's charset when every ACK was encoded in the same one (HTTP Content-Type). */
function commonCharset(settled: Settled[]): string | undefined {
  const charsets = new Set(settled.map((s) => s.prepared.verdict.charset));
  return charsets.size === 1 ? [...charsets][0] : undefined;
}
