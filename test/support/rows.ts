import { createHash, randomBytes } from 'node:crypto';
import type { MessageStatus, NewMessage, ProcessingFields, StoredMessage } from '../../src/store/store.ts';

export const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

/** A fresh tag: tests share one table and find their own rows by it. */
export const uniqueTag = (prefix = 'T'): string => `${prefix}-${randomBytes(6).toString('hex')}`;

/**
 * Sample rows for store tests (unit and integration). `newRow` fills every column, with values that
 * catch encoding slips (non-ASCII text, every byte value in the body); pass what a test is about:
 *
 *   const row = newRow({ transport: 'https', tlsClientSubject: null });
 *
 * Its MSH-10 and dedup key are fresh, so tests can share one table.
 */
export function newRow(overrides: Partial<NewMessage> = {}): NewMessage {
  const controlId = uniqueTag('CTL');
  const raw = Buffer.concat([Buffer.from(`MSH|^~\\&|APP|FAC|||20240102||ADT^A01|${controlId}|P|2.5\r`), allBytes]);
  return {
    dedupKey: sha256(`APP|FAC|${controlId}`),
    controlId,
    sendingApplication: 'APP',
    sendingFacility: 'Zürich 🏥',
    receivingApplication: 'RCV',
    receivingFacility: 'RFAC',
    messageType: 'ADT',
    triggerEvent: 'A01',
    version: '2.5',
    patientId: `P-${controlId}`,
    patientAuthority: null,
    transport: 'mllp',
    remoteAddress: '::ffff:127.0.0.1',
    tlsClientSubject: 'CN=sender.example,O=Test Hospital,C=CH',
    receivedAt: new Date('2024-02-29T23:59:59.987Z'),
    charset: 'UTF-8',
    raw,
    contentHash: sha256(raw),
    ackCode: 'AA',
    ack: Buffer.from([0x0b, 0x4d, 0x53, 0x48, 0x00, 0xff, 0x1c, 0x0d]),
    status: 'received',
    error: null,
    processingState: null,
    orderingKey: null,
    ...overrides,
  };
}

/** A row with a fresh dedup key (when it has one) and everything else of `row`. */
export function withFreshKey(row: NewMessage): NewMessage {
  return { ...row, dedupKey: row.dedupKey === null ? null : sha256(uniqueTag('K')) };
}

const DAY_MS = 86_400_000;

/** A row received `ageDays` before `now`, for retention: only accepted rows carry a dedup key. */
export function agedRow(status: MessageStatus, ageDays: number, controlId: string, now: Date): NewMessage {
  return newRow({
    controlId,
    status,
    dedupKey: status === 'received' ? `key-${controlId}` : null,
    ackCode: status === 'received' ? 'AA' : 'AE',
    error: status === 'rejected' ? 'MSH-7: test' : null,
    receivedAt: new Date(now.getTime() - ageDays * DAY_MS),
  });
}

/** The processing columns of a row no engine has touched (refused, or stored before processing). */
export const noProcessing: ProcessingFields = Object.freeze({
  processingState: null,
  processingAttempts: null,
  processingError: null,
  nextAttemptAt: null,
  processedAt: null,
});

/** `row` as a read returns it, with id `id` and the given processing columns (none by default). */
export function storedRow(row: NewMessage, id: number, processing: Partial<ProcessingFields> = {}): StoredMessage {
  return { ...row, ...noProcessing, ...processing, id };
}

/**
 * A read row without its processing columns: write tests compare what they stored, whatever the
 * processing engine's write side puts in those columns (their reads are tested in processing-read).
 */
export function withoutProcessing<T extends object>(row: T): Omit<T, keyof ProcessingFields>;
export function withoutProcessing<T extends object>(row: T | null): Omit<T, keyof ProcessingFields> | null;
export function withoutProcessing<T extends object>(row: T | null): Omit<T, keyof ProcessingFields> | null {
  if (row === null) return null;
  const rest: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const field of Object.keys(noProcessing)) delete rest[field];
  return rest as Omit<T, keyof ProcessingFields>;
}
