import type { AckCode, AckResult } from '../hl7/ack.ts';
import { describeError, type Issue } from '../hl7/errors.ts';
import { orNull } from './row.ts';
import type { Verdict } from './verdict.ts';

// What ingest tells a door: the ACK bytes (or none), the charset they are in, the HTTP status that
// fits the cause, and what happened, in one vocabulary with the ACK decision (src/hl7/ack.ts):
// accept | error | reject, plus two cases only ingest knows: a duplicate (an exact retransmission,
// answered again without a second row) and a batch (an envelope of ACKs, see `batch`).

export type IngestResult = AckResult | 'duplicate' | 'batch';

/**
 * Set when result is 'batch'. `messages`: one outcome per message, in envelope order (their ACKs
 * are inside `ack`). `storeUnavailable`: the batch's transaction failed; every message that would
 * have been accepted is answered AR 207 inside the envelope (HTTP: 503, as for a single message).
 */
export type BatchSummary = { batches: number; messages: IngestOutcome[]; storeUnavailable: boolean };

export type IngestOutcome = {
  /** Encoded ACK payload (unframed), or null when no answer is sent (MSH-15/16 said so; an inbound ACK). */
  ack: Buffer | null;
  ackCode: AckCode | null;
  result: IngestResult;
  /** Whether a row was committed for this message (false for duplicates and store failures). */
  stored: boolean;
  issues: Issue[];
  /** The status an HTTP door answers with: 200, or the deciding issue's (src/hl7/errors.ts). */
  httpStatus: number;
  controlId: string | null;
  messageType: string | null;
  /** The charset the ACK bytes are encoded in (the HTTP response's charset). */
  charset?: string | undefined;
  /** MSH-9.2, for metrics labels (optional so hand-made outcomes in tests stay valid). */
  triggerEvent?: string | null;
  batch?: BatchSummary;
};

/** 200 when accepted (or answered again); else the HTTP status of the deciding (first) issue. */
export function httpStatusOf(result: IngestResult, issues: readonly Issue[]): number {
  const first = issues[0];
  if (result === 'accept' || result === 'duplicate' || result === 'batch' || first === undefined) return 200;
  return describeError(first.code).httpStatus;
}

export function outcomeOf(
  verdict: Verdict,
  result: IngestResult,
  answer: { code: AckCode | null; ack: Buffer | null; charset?: string | undefined },
  issues: Issue[],
  stored: boolean,
): IngestOutcome {
  return {
    ack: answer.ack,
    ackCode: answer.code,
    result,
    stored,
    issues,
    httpStatus: httpStatusOf(result, issues),
    controlId: orNull(verdict.header?.controlId),
    messageType: orNull(verdict.header?.messageType),
    charset: answer.charset ?? verdict.charset,
    triggerEvent: orNull(verdict.header?.triggerEvent),
  };
}
