import { z } from 'zod';
import { decodeMessage } from '../../hl7/charset.ts';
import { splitSegments } from '../../hl7/segments.ts';
import { processingState, type MessageSummary, type StoredMessage } from '../../store/store.ts';

// What the operations API shows of a stored row. A list item is metadata only: it may carry the
// patient identifier (needed to search) but never names or message content. The detail view adds
// the decoded message and its ACK. Declared with zod so the OpenAPI document comes from the same shape.

const nullableText = z.string().nullable();

export const messageItemSchema = z.object({
  id: z.number().int(),
  receivedAt: z.string().describe('ISO 8601, UTC'),
  transport: z.enum(['mllp', 'https']),
  remoteAddress: nullableText,
  status: z.enum(['received', 'rejected']),
  ackCode: nullableText.describe('MSA-1 of the ACK sent; null when none was sent'),
  error: nullableText.describe('why it was refused (field names, never values)'),
  controlId: nullableText.describe('MSH-10'),
  sendingApplication: nullableText.describe('MSH-3'),
  sendingFacility: nullableText.describe('MSH-4'),
  receivingApplication: nullableText.describe('MSH-5'),
  receivingFacility: nullableText.describe('MSH-6'),
  type: nullableText.describe('MSH-9.1'),
  event: nullableText.describe('MSH-9.2'),
  version: nullableText.describe('MSH-12'),
  patientId: nullableText.describe('PID-3.1'),
  charset: nullableText.describe('the charset the message was decoded with'),
  sizeBytes: z.number().int(),
  processingState: processingState
    .nullable()
    .describe('where the event is in processing; null: refused, or stored before processing took it in'),
  processingAttempts: z.number().int().nullable().describe('delivery attempts so far'),
  processingError: nullableText.describe('why the last attempt failed or the event was skipped (no message content)'),
  nextAttemptAt: nullableText.describe('ISO 8601, UTC: when a failed attempt is tried again'),
  processedAt: nullableText.describe('ISO 8601, UTC: when the event reached its final state'),
});

export const messagePageSchema = z.object({
  items: z.array(messageItemSchema),
  nextCursor: z.string().optional().describe('absent on the last page'),
});

export const messageDetailSchema = messageItemSchema.extend({
  tlsClientSubject: nullableText,
  segments: z.array(z.string()).describe('the decoded message, one string per segment'),
  ack: nullableText.describe('the exact ACK sent, decoded, segments separated by \\r'),
});

export type MessageItem = z.infer<typeof messageItemSchema>;
export type MessagePage = z.infer<typeof messagePageSchema>;
export type MessageDetail = z.infer<typeof messageDetailSchema>;

/** A list row carries no blob, only its size (MessageSummary). */
export function toItem(row: MessageSummary): MessageItem {
  return {
    id: row.id,
    receivedAt: row.receivedAt.toISOString(),
    transport: row.transport,
    remoteAddress: row.remoteAddress,
    status: row.status,
    ackCode: row.ackCode,
    error: row.error,
    controlId: row.controlId,
    sendingApplication: row.sendingApplication,
    sendingFacility: row.sendingFacility,
    receivingApplication: row.receivingApplication,
    receivingFacility: row.receivingFacility,
    type: row.messageType,
    event: row.triggerEvent,
    version: row.version,
    patientId: row.patientId,
    charset: row.charset,
    sizeBytes: row.rawBytes,
    processingState: row.processingState,
    processingAttempts: row.processingAttempts,
    processingError: row.processingError,
    nextAttemptAt: row.nextAttemptAt?.toISOString() ?? null,
    processedAt: row.processedAt?.toISOString() ?? null,
  };
}

export function toDetail(row: StoredMessage): MessageDetail {
  return {
    ...toItem({ ...row, rawBytes: row.raw.length, ackBytes: row.ack?.length ?? null }),
    tlsClientSubject: row.tlsClientSubject ?? null,
    segments: splitSegments(decode(row.raw, row.charset)),
    ack: row.ack === null ? null : decode(row.ack, row.charset),
  };
}

/** With the charset recorded at receipt, so the text reads as it did then; UTF-8 when none was. */
function decode(bytes: Buffer, charset: string | null): string {
  return decodeMessage(bytes, charset ?? '', 'UTF-8').text;
}
