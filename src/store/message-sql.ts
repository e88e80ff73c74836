import { z } from 'zod';
import { newMessageSchema, type MessageFilter, type NewMessage, type StoredMessage } from './store.ts';

// The SQL both engines share: one table, the same column names, `?` placeholders.

/** Column of each field; the order is the insert order. */
const columnOf = {
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
  transport: 'transport',
  remoteAddress: 'remote_address',
  receivedAt: 'received_at',
  charset: 'charset',
  raw: 'raw',
  contentHash: 'content_hash',
  ackCode: 'ack_code',
  ack: 'ack',
  status: 'status',
  error: 'error',
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
  remoteAddress: 64,
  charset: 32,
  error: 1000,
} as const satisfies Partial<Record<TextField, number>>;

const fields = Object.keys(columnOf) as (keyof NewMessage)[];
const columnList = ['id', ...Object.values(columnOf)].join(', ');

/** Sent as `?` parameters; a driver turns each into its column type. */
export type SqlValue = string | number | Buffer | Date | null;

export const insertSql = `INSERT INTO hl7_message (${Object.values(columnOf).join(', ')}) VALUES (${fields.map(() => '?').join(', ')})`;

export const selectExistingSql = 'SELECT id, content_hash, ack_code FROM hl7_message WHERE dedup_key = ?';

/** Cuts by code points, as a VARCHAR(n) counts them. */
function fit(value: string | null, width: number): string | null {
  if (value === null || value.length <= width) return value;
  const points = Array.from(value);
  return points.length <= width ? value : points.slice(0, width).join('');
}

/** Insert parameters in column order; `receivedAt` goes through the engine's own date encoding. */
export function insertParams(row: NewMessage, encodeDate: (date: Date) => SqlValue): SqlValue[] {
  const fitted: NewMessage = { ...row };
  for (const field of Object.keys(columnWidths) as (keyof typeof columnWidths)[]) {
    fitted[field] = fit(row[field], columnWidths[field]);
  }
  return fields.map((field) => (field === 'receivedAt' ? encodeDate(fitted.receivedAt) : fitted[field]));
}

const storedRowSchema = newMessageSchema.extend({
  id: z.coerce.number().int().positive(),
  // MariaDB hands back a Date, SQLite the ISO 8601 text it was given.
  receivedAt: z.coerce.date(),
});

const anyRowSchema = z.record(z.string(), z.unknown());

export function rowToMessage(value: unknown): StoredMessage {
  const row = anyRowSchema.parse(value);
  const record: Record<string, unknown> = { id: row.id };
  for (const field of fields) record[field] = row[columnOf[field]];
  return storedRowSchema.parse(record);
}

export const existingRowSchema = z
  .object({ id: z.coerce.number().int().positive(), content_hash: z.string(), ack_code: z.string().nullable() })
  .transform((row) => ({ id: row.id, contentHash: row.content_hash, ackCode: row.ack_code }));

export const countRowSchema = z.object({ n: z.coerce.number().int() }).transform((row) => row.n);

/** How many rows `listMessages` returns when no limit is given; the HTTP API sets its own maximum. */
export const defaultListLimit = 500;

function whereClause(filter: MessageFilter): { where: string; params: string[] } {
  const conditions: string[] = [];
  const params: string[] = [];
  for (const field of ['controlId', 'status', 'patientId'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    conditions.push(`${columnOf[field]} = ?`);
    params.push(value);
  }
  return { where: conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '', params };
}

export function selectMessagesSql(filter: MessageFilter): { sql: string; params: string[] } {
  const { where, params } = whereClause(filter);
  const requested = Number.isFinite(filter.limit) ? Math.trunc(filter.limit ?? defaultListLimit) : defaultListLimit;
  const limit = Math.max(requested, 1);
  // The limit is inlined, not bound: it is an integer we computed, and MariaDB's prepared LIMIT is picky.
  const sql = `SELECT ${columnList} FROM hl7_message${where} ORDER BY received_at DESC, id DESC LIMIT ${limit}`;
  return { sql, params };
}

export function countMessagesSql(filter: MessageFilter): { sql: string; params: string[] } {
  const { where, params } = whereClause(filter);
  return { sql: `SELECT COUNT(*) AS n FROM hl7_message${where}`, params };
}
