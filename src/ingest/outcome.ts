import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ackCodeFor, buildAck, type AckCode } from '../hl7/ack.ts';
import { encodeText } from '../hl7/charset.ts';
import type { Issue } from '../hl7/errors.ts';
import type { MessageHeader } from '../hl7/message.ts';
import type { ValidationRules } from '../hl7/validate.ts';
import type { Store } from '../store/store.ts';

// The shapes the ingest steps share, and how an outcome and its ACK are made.

export type IngestSource = {
  transport: 'mllp' | 'https';
  remoteAddress: string | null;
  connectionId?: number;
  /** Subject of the peer's verified TLS client certificate, when there is one. */
  tlsClientSubject?: string | null;
};

export type IngestInput =
  /** `charset`: declared by the transport (HTTP Content-Type); wins over MSH-18. */
  | { kind: 'message'; bytes: Buffer; charset?: string }
  | { kind: 'oversize'; head: Buffer; bytes: number };

export type IngestResult = 'accepted' | 'duplicate' | 'error' | 'reject';

export type IngestOutcome = {
  /** Encoded ACK payload (unframed), or null when the sender asked for no answer. */
  ack: Buffer | null;
  ackCode: AckCode | null;
  result: IngestResult;
  /** Whether a row was committed for this message (false for duplicates and store failures). */
  stored: boolean;
  issues: Issue[];
  controlId: string | null;
  messageType: string | null;
};

export type IngestOptions = {
  rules: ValidationRules;
  onConflict: 'reject' | 'accept';
  ackMode: 'hl7' | 'always';
  defaultCharset: string;
  maxMessageBytes: number;
  ackSendingApplication: string;
  ackSendingFacility: string;
};

/** Running totals, read by the app for logs (and later metrics). Plain numbers. */
export type IngestCounters = {
  accepted: number;
  duplicates: number;
  refused: number;
  /** Frames without a readable MSH (also counted in `refused`). */
  unreadable: number;
  /** Messages that could not be committed (answered AR 207, or a refused row lost). */
  storeFailures: number;
};

export function createIngestCounters(): IngestCounters {
  return { accepted: 0, duplicates: 0, refused: 0, unreadable: 0, storeFailures: 0 };
}

export type IngestDeps = {
  counters: IngestCounters;
  store: Store;
  options: IngestOptions;
  log: Logger;
  clock: () => Date;
  newControlId: () => string;
};

export type Ingest = (input: IngestInput, source: IngestSource) => Promise<IngestOutcome>;

/** What the parse and validate steps concluded, before anything is stored. */
export type Verdict = {
  header: Partial<MessageHeader> | null;
  charset: string;
  patientId: string | null;
  issues: Issue[];
};

/** Builds the ACK text for a result, or nothing when MSH-15/MSH-16 ask for no answer. */
export function answer(
  deps: IngestDeps,
  verdict: Verdict,
  result: 'accept' | 'error' | 'reject',
  issues: Issue[],
): { code: AckCode | null; ack: Buffer | null } {
  const code = ackCodeFor(verdict.header, result, deps.options.ackMode);
  if (code === null) return { code, ack: null };
  const text = buildAck({
    header: verdict.header,
    code,
    issues,
    controlId: deps.newControlId(),
    now: deps.clock(),
    sendingApplication: deps.options.ackSendingApplication,
    sendingFacility: deps.options.ackSendingFacility,
  });
  return { code, ack: encodeText(text, verdict.charset) };
}

export function outcomeOf(
  verdict: Verdict,
  result: IngestResult,
  ackCode: AckCode | null,
  ack: Buffer | null,
  issues: Issue[],
  stored: boolean,
): IngestOutcome {
  return {
    ack,
    ackCode,
    result,
    stored,
    issues,
    controlId: orNull(verdict.header?.controlId),
    messageType: orNull(verdict.header?.messageType),
  };
}

export function storeErrorSummary(err: unknown): { type: string; message: string } {
  // Store errors carry no PHI (the engines drop server texts that could quote values).
  if (err instanceof Error) return { type: err.name, message: err.message };
  return { type: typeof err, message: 'non-error thrown' };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export function orNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
