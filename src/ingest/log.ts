import type { Logger } from 'pino';
import { describeError, formatLocation } from '../hl7/errors.ts';
import type { IngestOutcome } from './outcome.ts';
import type { IngestSource } from './source.ts';

// What ingest logs: control ids, types, codes and field names; never a message body or a patient id.

export function logOutcome(log: Logger, source: IngestSource, outcome: IngestOutcome, inboundAck: boolean): void {
  if (inboundAck) {
    log.info({ ...bindings(source, outcome), ackCode: outcome.ackCode }, 'inbound ACK message stored; ACK messages are never answered');
  }
  if (outcome.result === 'accept') return;
  if (outcome.result === 'duplicate') {
    log.info(bindings(source, outcome), 'duplicate message: answered again without a second row');
    return;
  }
  const reasons = outcome.issues.map((i) => ({
    code: describeError(i.code).hl7Code,
    location: formatLocation(i.location),
    reason: i.message,
  }));
  log.warn({ ...bindings(source, outcome), ackCode: outcome.ackCode, reasons }, 'message refused');
}

/** One line per batch: counts and control ids only (the refused messages were logged one by one). */
export function logBatch(log: Logger, source: IngestSource, outcome: IngestOutcome): void {
  const messages = outcome.batch?.messages ?? [];
  const tally = (...results: string[]) => messages.filter((m) => results.includes(m.result)).length;
  log.info(
    {
      conn: source.connectionId,
      transport: source.transport,
      batchControlId: loggedControlId(outcome.controlId),
      batches: outcome.batch?.batches,
      messages: messages.length,
      accepted: tally('accept'),
      duplicates: tally('duplicate'),
      refused: tally('error', 'reject'),
      storeUnavailable: outcome.batch?.storeUnavailable,
    },
    'batch received',
  );
}

function bindings(source: IngestSource, outcome: IngestOutcome): Record<string, unknown> {
  return {
    conn: source.connectionId,
    transport: source.transport,
    controlId: loggedControlId(outcome.controlId),
    messageType: outcome.messageType,
    stored: outcome.stored,
  };
}

/**
 * MSH-10 as a log binding: cut to 64 characters, so a broken or hostile sender's megabyte-long
 * control id cannot flood the log (the row keeps the whole message).
 */
export function loggedControlId(controlId: string | null): string | null {
  return controlId === null || controlId.length <= 64 ? controlId : `${controlId.slice(0, 64)}…`;
}

export function storeErrorSummary(err: unknown): { type: string; message: string } {
  // Store errors carry no PHI (the engines drop server texts that could quote values).
  if (err instanceof Error) return { type: err.name, message: err.message };
  return { type: typeof err, message: 'non-error thrown' };
}
