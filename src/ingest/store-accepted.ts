import type { Issue } from '../hl7/errors.ts';
import { RowTooLargeError, type NewMessage } from '../store/store.ts';
import {
  answer,
  loggedControlId,
  outcomeOf,
  sha256,
  storeErrorSummary,
  type IngestDeps,
  type IngestOutcome,
  type Verdict,
} from './outcome.ts';
import { storeRefused } from './store-refused.ts';

// Accepted rows are unique per (MSH-3, MSH-4, MSH-10). The unique index on dedup_key makes the
// check and the insert one atomic step, so two connections racing with the same message still
// produce one row. An exact retransmission (same content hash) is answered with the stored ACK
// code again; the same MSH-10 with other content is refused (AE, 205) or, with
// `onConflict: accept`, stored under a key that also covers its content.

export async function storeAccepted(deps: IngestDeps, base: NewMessage, verdict: Verdict): Promise<IngestOutcome> {
  const { code, ack } = answer(deps, verdict, 'accept', []);
  const key = dedupKey(base);
  try {
    const first = await deps.store.insertMessage({ ...base, dedupKey: key, ackCode: code, ack });
    if (first.inserted) return outcomeOf(verdict, 'accepted', code, ack, [], true);
    if (first.existing.contentHash === base.contentHash) return duplicate(deps, verdict);
    if (deps.options.onConflict === 'reject') return await storeRefused(deps, base, verdict, [conflictIssue()]);
    const second = await deps.store.insertMessage({
      ...base,
      dedupKey: conflictKey(key, base.contentHash),
      ackCode: code,
      ack,
    });
    return second.inserted ? outcomeOf(verdict, 'accepted', code, ack, [], true) : duplicate(deps, verdict);
  } catch (err) {
    deps.log.error({ err: storeErrorSummary(err), controlId: loggedControlId(base.controlId) }, 'message could not be stored');
    // Too large for the database is final: "send it again later" would make the sender loop.
    const issue: Issue =
      err instanceof RowTooLargeError
        ? { code: 'message-too-large', location: { segment: 'MSH' }, message: 'the message is larger than the database accepts' }
        : { code: 'store-unavailable', location: { segment: 'MSH' }, message: 'the message could not be stored now; send it again later' };
    const nak = answer(deps, verdict, 'reject', [issue]);
    return outcomeOf(verdict, 'reject', nak.code, nak.ack, [issue], false);
  }
}

/** The same content again: the sender missed our ACK. Answer as before, write nothing. */
function duplicate(deps: IngestDeps, verdict: Verdict): IngestOutcome {
  const again = answer(deps, verdict, 'accept', []);
  return outcomeOf(verdict, 'duplicate', again.code, again.ack, [], false);
}

export function conflictIssue(): Issue {
  return {
    code: 'duplicate-control-id',
    location: { segment: 'MSH', sequence: 1, field: 10 },
    message: 'MSH-10 (message control id) was already received from this sender with other content',
  };
}

export function dedupKey(row: NewMessage): string {
  return sha256([row.sendingApplication ?? '', row.sendingFacility ?? '', row.controlId ?? ''].join('\u001f'));
}

/** With `onConflict: accept`, a second content under the same MSH-10 is keyed by its content too. */
export function conflictKey(key: string, contentHash: string): string {
  return sha256(`${key}\u001f${contentHash}`);
}
