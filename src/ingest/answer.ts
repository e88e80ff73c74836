import { ackCodeFor, buildAck, type AckCode, type AckMode, type AckResult } from '../hl7/ack.ts';
import { ackEncodingFor, encodeText } from '../hl7/charset.ts';
import type { ErrorCode, Issue } from '../hl7/errors.ts';
import type { IngestDeps } from './deps.ts';
import { isAckMessage } from '../hl7/validate.ts';
import type { Verdict } from './verdict.ts';

// The answer to one message: which ACK code, and its bytes, or nothing.

export type Answer = { code: AckCode | null; ack: Buffer | null; charset: string };

/**
 * Our failures, not the sender's: the message could not be stored (store down or slow, too large).
 * They are answered whatever MSH-15/MSH-16 say: silence would tell an NE/NE sender that the message
 * was delivered. Only a stored message may go unanswered.
 */
const ourFailures: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['store-unavailable', 'message-too-large']);

export function isOurFailure(issues: readonly Issue[]): boolean {
  return issues.some((i) => ourFailures.has(i.code));
}

/** `mode` overrides hl7.ackMode; `evenAnAck`: answer an inbound ACK too (inside a batch envelope). */
export type AnswerOptions = { mode?: AckMode; evenAnAck?: boolean };

/**
 * Builds the ACK for a result, or nothing when MSH-15/MSH-16 ask for no answer, or when the message
 * is itself an ACK.
 */
export function answer(deps: IngestDeps, verdict: Verdict, result: AckResult, issues: Issue[], options: AnswerOptions = {}): Answer {
  const none = { code: null, ack: null, charset: verdict.charset };
  if (isAckMessage(verdict.header) && options.evenAnAck !== true) return none;
  const code = ackCodeFor(verdict.header, result, isOurFailure(issues) ? 'always' : (options.mode ?? deps.options.ackMode));
  if (code === null) return none;
  const encoding = ackEncodingFor(verdict.charset);
  const text = buildAck({
    header: verdict.header,
    code,
    issues,
    controlId: deps.newControlId(),
    now: deps.clock(),
    sendingApplication: deps.options.ackSendingApplication,
    sendingFacility: deps.options.ackSendingFacility,
    encoding,
  });
  // One decision for the bytes and for MSH-18 (and the HTTP charset): they cannot disagree.
  return { code, ack: encodeText(text, encoding.charset), charset: encoding.charset };
}
