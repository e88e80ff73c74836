import type { Logger } from 'pino';
import { describeError, formatLocation, type Issue } from '../hl7/errors.ts';
import { isBatch, readBatch } from '../hl7/batch.ts';
import { parseMessage } from '../hl7/message.ts';
import { validateMessage } from '../hl7/validate.ts';
import type { NewMessage } from '../store/store.ts';
import { ingestBatch } from './batch.ts';
import { checkSender } from './identity.ts';
import type { Prepared } from './batch-plan.ts';
import {
  loggedControlId,
  orNull,
  sha256,
  type Ingest,
  type IngestCounters,
  type IngestDeps,
  type IngestInput,
  type IngestOptions,
  type IngestOutcome,
  type IngestSource,
  type Verdict,
} from './outcome.ts';
import { storeAccepted } from './store-accepted.ts';
import { storeRefused } from './store-refused.ts';

// The one use case both doors call: parse → validate → dedup → store → decide the ACK.
// The ACK for an accepted message is built before the insert so the exact bytes sent are stored
// in the same committed row; it is released to the transport only after that commit.

export function createIngest(deps: IngestDeps): Ingest {
  return async (input, source) => {
    const receivedAt = deps.clock();
    const bytes = input.kind === 'message' ? input.bytes : input.head;
    if (isBatch(bytes)) return receiveEnvelope(deps, input, bytes, source, receivedAt);
    return settle(deps, bytes, checkSender(judge(input, bytes, deps.options), source, deps.senders), source, receivedAt);
  };
}

async function settle(
  deps: IngestDeps,
  bytes: Buffer,
  verdict: Verdict,
  source: IngestSource,
  receivedAt: Date,
): Promise<IngestOutcome> {
  const base = rowBase(bytes, verdict, source, receivedAt);
  const answering = withAckMode(deps, source);
  const outcome =
    verdict.issues.length === 0
      ? await storeAccepted(answering, base, verdict)
      : await storeRefused(answering, base, verdict, verdict.issues);
  count(deps.counters, verdict, outcome);
  logOutcome(deps.log, source, outcome);
  return outcome;
}

// Envelope lines are read as latin1 and echoed in it: the same bytes go back, whatever they were.
const ENVELOPE_CHARSET = 'ISO-8859-1';

/**
 * FHS/BHS first: an HL7 batch (src/ingest/batch.ts). Each message goes through `judge`, like a
 * single one: checks on a message belong there so that batches get them too. A broken or oversize
 * envelope is refused as a whole with one NAK (AR, MSA-2 = BHS-11), stored as one refused row.
 */
async function receiveEnvelope(
  deps: IngestDeps,
  input: IngestInput,
  bytes: Buffer,
  source: IngestSource,
  receivedAt: Date,
): Promise<IngestOutcome> {
  const read = readBatch(bytes);
  const reference: Verdict = { header: read.header, charset: ENVELOPE_CHARSET, patientId: null, issues: [] };
  const refuse = (issue: Issue) => settle(deps, bytes, { ...reference, issues: [issue] }, source, receivedAt);
  if (input.kind === 'oversize') return refuse(tooLarge(input.bytes, deps.options.maxMessageBytes));
  if (!read.ok) return refuse(read.issue);
  const prepare = (part: Buffer): Prepared => {
    const verdict = checkSender(judge({ ...input, bytes: part }, part, deps.options), source, deps.senders);
    return { verdict, base: rowBase(part, verdict, source, receivedAt) };
  };
  const { outcome, messages } = await ingestBatch(deps, read.envelope, reference, prepare);
  for (const m of messages) {
    count(deps.counters, m.verdict, m.outcome);
    logOutcome(deps.log, source, m.outcome);
  }
  logBatch(deps.log, source, outcome);
  return outcome;
}

/** A door may force an answer whatever MSH-15/MSH-16 say (over HTTP every request gets a response). */
function withAckMode(deps: IngestDeps, source: IngestSource): IngestDeps {
  if (source.ackMode === undefined || source.ackMode === deps.options.ackMode) return deps;
  return { ...deps, options: { ...deps.options, ackMode: source.ackMode } };
}

/** `bytes` is the whole message, or the head of an oversize one. */
function judge(input: IngestInput, bytes: Buffer, options: IngestOptions): Verdict {
  // A charset declared by the transport (HTTP Content-Type) wins over MSH-18.
  const declared = input.kind === 'message' ? input.charset : undefined;
  const parsed = parseMessage(bytes, { defaultCharset: options.defaultCharset, charset: declared });
  const verdict: Verdict = parsed.ok
    ? { header: parsed.message.header, charset: parsed.message.charset, patientId: parsed.message.patientId, issues: [] }
    : { header: parsed.header, charset: parsed.charset, patientId: null, issues: [parsed.issue] };
  // Size decides first: the head was read only to address the AR to the right MSH-10.
  if (input.kind === 'oversize') return { ...verdict, issues: [tooLarge(input.bytes, options.maxMessageBytes)] };
  return parsed.ok ? { ...verdict, issues: validateMessage(parsed.message, options.rules) } : verdict;
}

function tooLarge(bytes: number, limit: number): Issue {
  return {
    code: 'message-too-large',
    location: { segment: 'MSH' },
    message: `message of ${bytes} bytes or more exceeds the limit of ${limit} bytes`,
  };
}

function rowBase(bytes: Buffer, verdict: Verdict, source: IngestSource, receivedAt: Date): NewMessage {
  const h = verdict.header;
  return {
    dedupKey: null,
    controlId: orNull(h?.controlId),
    sendingApplication: orNull(h?.sendingApplication),
    sendingFacility: orNull(h?.sendingFacility),
    receivingApplication: orNull(h?.receivingApplication),
    receivingFacility: orNull(h?.receivingFacility),
    messageType: orNull(h?.messageType),
    triggerEvent: orNull(h?.triggerEvent),
    version: orNull(h?.version),
    patientId: verdict.patientId,
    patientAuthority: null,
    transport: source.transport,
    remoteAddress: source.remoteAddress,
    tlsClientSubject: source.tlsClientSubject ?? null,
    receivedAt,
    charset: verdict.charset,
    raw: bytes,
    contentHash: sha256(bytes),
    ackCode: null,
    ack: null,
    status: 'received',
    error: null,
  };
}

function count(counters: IngestCounters, verdict: Verdict, outcome: IngestOutcome): void {
  if (outcome.result === 'accepted') counters.accepted += 1;
  else if (outcome.result === 'duplicate') counters.duplicates += 1;
  else counters.refused += 1;
  const unreadable = verdict.issues.some((i) => i.code === 'no-msh' || i.code === 'bad-encoding-characters');
  if (unreadable) counters.unreadable += 1;
  const storeFailed = !outcome.stored && outcome.result !== 'duplicate';
  if (storeFailed) counters.storeFailures += 1;
}

function logOutcome(log: Logger, source: IngestSource, outcome: IngestOutcome): void {
  if (outcome.result === 'accepted' || outcome.result === 'duplicate') {
    if (outcome.result === 'duplicate') {
      log.info(bindings(source, outcome), 'duplicate message: answered again without a second row');
    }
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
function logBatch(log: Logger, source: IngestSource, outcome: IngestOutcome): void {
  const messages = outcome.batch?.messages ?? [];
  const tally = (...results: string[]) => messages.filter((m) => results.includes(m.result)).length;
  log.info(
    {
      conn: source.connectionId,
      transport: source.transport,
      batchControlId: loggedControlId(outcome.controlId),
      batches: outcome.batch?.batches,
      messages: messages.length,
      accepted: tally('accepted'),
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
