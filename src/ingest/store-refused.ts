import { resultOf } from '../hl7/ack.ts';
import { formatLocation, type Issue } from '../hl7/errors.ts';
import type { NewMessage } from '../store/store.ts';
import { answer } from './answer.ts';
import type { IngestDeps } from './deps.ts';
import { loggedControlId, storeErrorSummary } from './log.ts';
import { outcomeOf, type IngestOutcome } from './outcome.ts';
import type { Verdict } from './verdict.ts';

/** Refused rows are stored too, so an operator can see what was refused and why. */
export async function storeRefused(deps: IngestDeps, base: NewMessage, verdict: Verdict, issues: Issue[]): Promise<IngestOutcome> {
  const result = resultOf(issues);
  const refused = answer(deps, verdict, result, issues);
  const row: NewMessage = { ...base, dedupKey: null, status: 'rejected', ackCode: refused.code, ack: refused.ack, error: refusalText(issues) };
  let stored = false;
  try {
    await deps.store.insertMessage(row);
    stored = true;
  } catch (err) {
    // The sender still gets its NAK; the refused row is only lost from the operator's view.
    deps.log.error({ err: storeErrorSummary(err), controlId: loggedControlId(base.controlId) }, 'refused message could not be stored');
  }
  return outcomeOf(verdict, result, refused, issues, stored);
}

/** The `error` column: the reasons name fields, never values; the column holds 1000 characters. */
export function refusalText(issues: Issue[]): string {
  return issues.map((i) => `${formatLocation(i.location)}: ${i.message}`).join('; ').slice(0, 1000);
}
