import type { BatchEnvelope, EnvelopeSegment } from './batch.ts';
import { escapeText } from './escape.ts';
import { formatHl7Timestamp } from './timestamp.ts';

// The answer to a batch (chapter 2, acknowledging batches): an envelope of the same shape holding
// one ACK per message. FHS/BHS swap sending and receiving like MSH in an ACK, carry a fresh
// FHS-11/BHS-11 and, in FHS-12/BHS-12 (reference file/batch control id), the received FHS-11/BHS-11.
// BTS-1 counts the ACKs of its batch, FTS-1 the batches.

export type BatchAnswerInput = {
  envelope: BatchEnvelope;
  /** The encoded ACKs (each ending with CR), one list per batch, in envelope order. */
  acks: Buffer[][];
  now: Date;
  newControlId: () => string;
  /** Plain names (escaped here), used when the received FHS-5/FHS-6 (BHS-5/BHS-6) are empty. */
  sendingApplication: string;
  sendingFacility: string;
};

export function buildBatchAnswer(input: BatchAnswerInput): Buffer {
  const { envelope } = input;
  const parts: Buffer[] = [];
  const line = (text: string): void => void parts.push(Buffer.from(`${text}\r`, 'latin1'));
  if (envelope.file !== null) line(buildHeader(envelope.file, input));
  envelope.batches.forEach((batch, i) => {
    const acks = input.acks[i] ?? [];
    line(buildHeader(batch.header, input));
    parts.push(...acks);
    line(['BTS', String(acks.length)].join(batch.header.delimiters.field));
  });
  if (envelope.file !== null) line(['FTS', String(envelope.batches.length)].join(envelope.file.delimiters.field));
  return Buffer.concat(parts);
}

/** Received fields are echoed as written (latin1 in, latin1 out: the same bytes). */
function buildHeader(received: EnvelopeSegment, input: BatchAnswerInput): string {
  const d = received.delimiters;
  const f = received.fields;
  const orFallback = (value: string | undefined, fallback: string): string =>
    value !== undefined && value.trim() !== '' ? value : escapeText(fallback, d);
  return [
    received.id,
    f[1] ?? '',
    orFallback(f[4], input.sendingApplication),
    orFallback(f[5], input.sendingFacility),
    f[2] ?? '',
    f[3] ?? '',
    formatHl7Timestamp(input.now),
    '',
    '',
    '',
    escapeText(input.newControlId(), d),
    f[10] ?? '',
  ].join(d.field);
}
