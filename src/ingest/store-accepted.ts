import type { Issue } from '../hl7/errors.ts';
import { RowTooLargeError, type NewMessage } from '../store/store.ts';
import { answer } from './answer.ts';
import type { IngestDeps } from './deps.ts';
import { loggedControlId, storeErrorSummary } from './log.ts';
import { outcomeOf, type IngestOutcome } from './outcome.ts';
import { conflictKey, dedupKey, waitingRow } from './row.ts';
import { storeRefused } from './store-refused.ts';
import type { Verdict } from './verdict.ts';

// Accepted rows are unique per (MSH-3, MSH-4, MSH-10). The unique index on dedup_key makes the
// check and the insert one atomic step, so two connections racing with the same message still
// produce one row. An exact retransmission (same content hash) is answered with the stored ACK
// code again; the same MSH-10 with other content is refused (AE, 205) or, with
// `onConflict: accept`, stored under a key that also covers its content.

export async function storeAccepted(deps: IngestDeps, base: NewMessage, verdict: Verdict): Promise<IngestOutcome> {
  const accepted = answer(deps, verdict, 'accept', []);
  const row = waitingRow({ ...base, ackCode: accepted.code, ack: accepted.ack }, deps.orderingKey);
  const key = dedupKey(base);
  try {
    const first = await deps.store.insertMessage({ ...row, dedupKey: key });
    if (first.inserted) return outcomeOf(verdict, 'accept', accepted, [], true);
    if (first.existing.contentHash === base.contentHash) return duplicate(deps, verdict);
    if (deps.options.onConflict === 'reject') return await storeRefused(deps, base, verdict, [conflictIssue()]);
    const second = await deps.store.insertMessage({ ...row, dedupKey: conflictKey(key, base.contentHash) });
    return second.inserted ? outcomeOf(verdict, 'accept', accepted, [], true) : duplicate(deps, verdict);
  } catch (err) {
    deps.log.error({ err: storeErrorSummary(err), controlId: loggedControlId(base.controlId) }, 'message could not be stored');
    const issue = err instanceof RowTooLargeError ? tooLargeToStore() : storeUnavailable();
    return outcomeOf(verdict, 'reject', answer(deps, verdict, 'reject', [issue]), [issue], false);
  }
}

/** The same content again: the sender missed our ACK. Answer as before, write nothing. */
function duplicate(deps: IngestDeps, verdict: Verdict): IngestOutcome {
  return outcomeOf(verdict, 'duplicate', answer(deps, verdict, 'accept', []), [], false);
}

export function conflictIssue(): Issue {
  return {
    code: 'duplicate-control-id',
    location: { segment: 'MSH', sequence: 1, field: 10 },
    message: 'MSH-10 (message control id) was already received from this sender with other content',
  };
}

export function storeUnavailable(): Issue {
  return { code: 'store-unavailable', location: { segment: 'MSH' }, message: 'the message could not be stored now; send it again later' };
}

/** Too large for the database is final: "send it again later" would make the sender loop. */
function tooLargeToStore(): Issue {
  return { code: 'message-too-large', location: { segment: 'MSH' }, message: 'the message is larger than the database accepts' };
}
