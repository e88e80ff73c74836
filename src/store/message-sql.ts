import { z } from 'zod';
import {
  messageSummarySchema,
  newMessageSchema,
  processingFieldsSchema,
  type MessageSummary,
  type NewMessage,
  type ProcessingFields,
  type StoredMessage,
} from './store.ts';

// The row SQL both engines share: one table, the same column names, `?` placeholders.
// Filters and retention live in message-query.ts.

/** Column of each field; the order is the insert order. */
export const columnOf = {
  dedupKey: 'dedup_key',
  controlId: 'control_id',
  sendingApplication: 'sending_application',
  sendingFacility: 'sending_facility',
  receivingApplication: 'receiving_application',
  receivingFacility: 'receiving_facility',
  messageType: 'message_type',
  triggerEvent: 'trigger_event',
  version: 'version',
  patientId: 'patient_id',
  patientAuthority: 'patient_authority',
  transport: 'transport',
  remoteAddress: 'remote_address',
  tlsClientSubject: 'tls_client_subject',
  receivedAt: 'received_at',
  charset: 'charset',
  raw: 'raw',
  contentHash: 'content_hash',
  ackCode: 'ack_code',
  ack: 'ack',
  status: 'status',
  error: 'error',
  processingState: 'processing_state',
  orderingKey: 'ordering_key',
} as const satisfies Record<keyof NewMessage, string>;

type TextField = { [K in keyof NewMessage]: NewMessage[K] extends string | null ? K : never }[keyof NewMessage];

/**
 * Widths of the free-text columns (scripts/create-schema.sql). A longer value is cut to fit, in both
 * engines alike, so an odd header never stops a message from being stored: `raw` always keeps it whole.
 */
export const columnWidths = {
  controlId: 199,
  sendingApplication: 227,
  sendingFacility: 227,
  receivingApplication: 227,
  receivingFacility: 227,
  messageType: 20,
  triggerEvent: 20,
  version: 20,
  patientId: 250,
  patientAuthority: 227,
  remoteAddress: 64,
  tlsClientSubject: 512,
  charset: 32,
  error: 1000,
  orderingKey: 255,
} as const satisfies Partial<Record<TextField, number>>;

/** The processing columns (migration 0003): read here, written by the processing engine only. */
export const processingColumnOf = {
  processingAttempts: 'processing_attempts',
  processingError: 'processing_error',
  nextAttemptAt: 'next_attempt_at',
  processedAt: 'processed_at',
} as const satisfies Record<keyof ProcessingFields, string>;

const fields = Object.keys(columnOf) as (keyof NewMessage)[];
const processingFields = Object.keys(processingColumnOf) as (keyof ProcessingFields)[];
export const columnList = ['id', ...Object.values(columnOf), ...Object.values(processingColumnOf)].join(', ');

/** Sent as `?` parameters; a driver turns each into its column type. */
export type SqlValue = string | number | Buffer | Date | null;
export type DateEncoder = (date: Date) => SqlValue;

const rowPlaceholders = `(${fields.map(() => '?').join(', ')})`;
const insertHead = `INSERT INTO hl7_message (${Object.values(columnOf).join(', ')}) VALUES `;
const insertSqlBySize = new Map<number, string>();

/** A multi-row INSERT of `rows` rows (cached: the write path asks for the same few sizes). */
export function insertRowsSql(rows: number): string {
  let sql = insertSqlBySize.get(rows);
  if (sql === undefined) {
    sql = insertHead + Array.from({ length: rows }, () => rowPlaceholders).join(', ');
    insertSqlBySize.set(rows, sql);
  }
  return sql;
}

export const insertSql = insertRowsSql(1);

export const selectExistingSql = 'SELECT id, content_hash, ack_code FROM hl7_message WHERE dedup_key = ?';

export const selectByIdSql = `SELECT ${columnList} FROM hl7_message WHERE id = ?`;

const blobFields = new Set<keyof NewMessage>(['raw', 'ack']);
const summaryFields = fields.filter((field) => !blobFields.has(field));

/** What lists select: every column but the blobs, and the blobs' sizes in bytes (both engines). */
export const summaryColumnList = [
  'id',
  ...summaryFields.map((field) => columnOf[field]),
  ...Object.values(processingColumnOf),
  'LENGTH(raw) AS raw_bytes',
  'LENGTH(ack) AS ack_bytes',
].join(', ');

/** Cuts by code points, as a VARCHAR(n) counts them. */
function fit(value: string | null, width: number): string | null {
  if (value === null || value.length <= width) return value;
  const points = Array.from(value);
  return points.length <= width ? value : points.slice(0, width).join('');
}

const widthOf: Partial<Record<keyof NewMessage, number>> = columnWidths;

/**
 * Appends one row's parameters, in column order, to `out`: the write path builds one flat array per
 * statement without a copy of each row. `receivedAt` goes through the engine's own date encoding.
 */
export function pushInsertParams(out: SqlValue[], row: NewMessage, encodeDate: DateEncoder): void {
  for (const field of fields) {
    const width = widthOf[field];
    if (field === 'receivedAt') out.push(encodeDate(row.receivedAt));
    else if (width !== undefined) out.push(fit(row[field] as string | null, width));
    else out.push(row[field] as SqlValue);
  }
}

/** Insert parameters of one row, in column order. */
export function insertParams(row: NewMessage, encodeDate: DateEncoder): SqlValue[] {
  const out: SqlValue[] = [];
  pushInsertParams(out, row, encodeDate);
  return out;
}

/**
 * An upper bound of the bytes a row takes in a statement (binary protocol): blobs as they are, text
 * at 3 bytes per UTF-16 unit (the most UTF-8 needs), a few bytes of framing per parameter.
 */
const textFields = Object.keys(columnWidths) as (keyof typeof columnWidths)[];

export function rowBytes(row: NewMessage): number {
  let text = 0;
  for (const field of textFields) text += row[field]?.length ?? 0;
  text += (row.dedupKey?.length ?? 0) + row.contentHash.length + (row.ackCode?.length ?? 0) + 16;
  return row.raw.length + (row.ack?.length ?? 0) + 3 * text + 4 * fields.length;
}

// MariaDB hands back a Date, SQLite the ISO 8601 text it was given; NULL stays null (not epoch).
const nullableDate = z.union([z.null(), z.coerce.date()]);
const processingRowShape = {
  processingAttempts: z.union([z.null(), z.coerce.number().int().min(0)]),
  nextAttemptAt: nullableDate,
  processedAt: nullableDate,
};

const storedRowSchema = newMessageSchema.extend(processingFieldsSchema.shape).extend({
  ...processingRowShape,
  id: z.coerce.number().int().positive(),
  receivedAt: z.coerce.date(),
});

/** Copies the processing columns of a row into `record` (undefined columns, e.g. before 0003, read as null). */
function readProcessing(row: Record<string, unknown>, record: Record<string, unknown>): void {
  for (const field of processingFields) record[field] = row[processingColumnOf[field]] ?? null;
}

const anyRowSchema = z.record(z.string(), z.unknown());

export function rowToMessage(value: unknown): StoredMessage {
  const row = anyRowSchema.parse(value);
  const record: Record<string, unknown> = { id: row.id };
  for (const field of fields) record[field] = row[columnOf[field]];
  readProcessing(row, record);
  return storedRowSchema.parse(record);
}

const summaryRowSchema = messageSummarySchema.extend({
  ...processingRowShape,
  id: z.coerce.number().int().positive(),
  receivedAt: z.coerce.date(),
  rawBytes: z.coerce.number().int().min(0),
  ackBytes: z.coerce.number().int().min(0).nullable(),
});

export function rowToSummary(value: unknown): MessageSummary {
  const row = anyRowSchema.parse(value);
  const record: Record<string, unknown> = { id: row.id, rawBytes: row.raw_bytes, ackBytes: row.ack_bytes };
  for (const field of summaryFields) record[field] = row[columnOf[field]];
  readProcessing(row, record);
  return summaryRowSchema.parse(record);
}

export const existingRowSchema = z
  .object({ id: z.coerce.number().int().positive(), content_hash: z.string(), ack_code: z.string().nullable() })
  .transform((row) => ({ id: row.id, contentHash: row.content_hash, ackCode: row.ack_code }));

export const countRowSchema = z.object({ n: z.coerce.number().int() }).transform((row) => row.n);
