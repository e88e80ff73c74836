import { isBatch, readBatch } from '../hl7/batch.ts';
import type { Issue } from '../hl7/errors.ts';
import { ingestBatch } from './batch.ts';
import type { Prepared } from './batch-plan.ts';
import { count } from './counters.ts';
import type { Ingest, IngestDeps } from './deps.ts';
import { checkSender } from './identity.ts';
import { logBatch, logOutcome } from './log.ts';
import type { IngestOutcome } from './outcome.ts';
import { rowBase } from './row.ts';
import type { IngestInput, IngestSource } from './source.ts';
import { storeAccepted } from './store-accepted.ts';
import { storeRefused } from './store-refused.ts';
import { isAckMessage } from '../hl7/validate.ts';
import { judge, tooLarge, type Verdict } from './verdict.ts';

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
  const inboundAck = isAckMessage(verdict.header);
  count(deps.counters, verdict, outcome, inboundAck);
  logOutcome(deps.log, source, outcome, inboundAck);
  if (outcome.result === 'accept' && outcome.stored) deps.onAccepted?.();
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
  const reference: Verdict = { header: read.header, charset: ENVELOPE_CHARSET, patientId: null, patientAuthority: null, issues: [] };
  const refuse = (issue: Issue) => settle(deps, bytes, { ...reference, issues: [issue] }, source, receivedAt);
  if (input.kind === 'oversize') return refuse(tooLarge(input.bytes, deps.options.maxMessageBytes));
  if (!read.ok) return refuse(read.issue);
  const prepare = (part: Buffer): Prepared => {
    const verdict = checkSender(judge({ ...input, bytes: part }, part, deps.options), source, deps.senders);
    return { verdict, base: rowBase(part, verdict, source, receivedAt) };
  };
  const { outcome, messages } = await ingestBatch(deps, read.envelope, reference, prepare);
  for (const m of messages) {
    const inboundAck = isAckMessage(m.verdict.header);
    count(deps.counters, m.verdict, m.outcome, inboundAck);
    logOutcome(deps.log, source, m.outcome, inboundAck);
  }
  logBatch(deps.log, source, outcome);
  if (messages.some((m) => m.outcome.result === 'accept' && m.outcome.stored)) deps.onAccepted?.();
  return outcome;
}

/** A door may force an answer whatever MSH-15/MSH-16 say (over HTTP every request gets a response). */
function withAckMode(deps: IngestDeps, source: IngestSource): IngestDeps {
  if (source.ackMode === undefined || source.ackMode === deps.options.ackMode) return deps;
  return { ...deps, options: { ...deps.options, ackMode: source.ackMode } };
}
