import { hash } from 'node:crypto';
import type { Logger } from 'pino';
import { ackCodeFor, buildAck, type AckCode, type AckMode } from '../hl7/ack.ts';
import { ackEncodingFor, encodeText } from '../hl7/charset.ts';
import type { Issue } from '../hl7/errors.ts';
import type { MessageHeader } from '../hl7/message.ts';
import type { ValidationRules } from '../hl7/validate.ts';
import type { Store } from '../store/store.ts';
import type { SenderRules } from './identity.ts';

// The shapes the ingest steps share, and how an outcome and its ACK are made.

export type IngestSource = {
  transport: 'mllp' | 'https';
  remoteAddress: string | null;
  connectionId?: number;
  /** Subject of the peer's verified TLS client certificate, when there is one. */
  tlsClientSubject?: string | null;
  /** Overrides hl7.ackMode for this door: HTTP passes 'always' (a request always gets an answer). */
  ackMode?: AckMode;
};

export type IngestInput =
  /** `charset`: declared by the transport (HTTP Content-Type); wins over MSH-18. */
  | { kind: 'message'; bytes: Buffer; charset?: string }
  | { kind: 'oversize'; head: Buffer; bytes: number };

/** 'batch': an FHS/BHS envelope answered with one ACK per message (see `IngestOutcome.batch`). */
export type IngestResult = 'accepted' | 'duplicate' | 'error' | 'reject' | 'batch';

/**
 * Set when result is 'batch'. `messages`: one outcome per message, in envelope order (their ACKs
 * are inside `ack`). `storeUnavailable`: the batch's transaction failed; every message that would
 * have been accepted is answered AR 207 inside the envelope (HTTP: 503, as for a single message).
 */
export type BatchSummary = { batches: number; messages: IngestOutcome[]; storeUnavailable: boolean };

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
  /** The charset the message was decoded with and the ACK encoded in (the HTTP response's charset). */
  charset?: string;
  /** MSH-9.2, for metrics labels (optional so hand-made outcomes in tests stay valid). */
  triggerEvent?: string | null;
  batch?: BatchSummary;
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
  /** Identity rules (`senders`, src/ingest/identity.ts); absent: any peer may claim any MSH-3/MSH-4. */
  senders?: SenderRules;
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
  return { code, ack: encodeText(text, encoding.charset) };
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
    charset: verdict.charset,
    triggerEvent: orNull(verdict.header?.triggerEvent),
  };
}

export function storeErrorSummary(err: unknown): { type: string; message: string } {
  // Store errors carry no PHI (the engines drop server texts that could quote values).
  if (err instanceof Error) return { type: err.name, message: err.message };
  return { type: typeof err, message: 'non-error thrown' };
}

/** One-shot crypto.hash: no Hash object per call (two digests per message on the hot path). */
export function sha256(data: Buffer | string): string {
  return hash('sha256', data, 'hex');
}

/**
 * MSH-10 as a log binding: cut to 64 characters, so a broken or hostile sender's megabyte-long
 * control id cannot flood the log (the row keeps the whole message).
 */
export function loggedControlId(controlId: string | null): string | null {
  return controlId === null || controlId.length <= 64 ? controlId : `${controlId.slice(0, 64)}…`;
}

export function orNull(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
