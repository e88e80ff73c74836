import type Database from 'better-sqlite3';
import { z } from 'zod';
import type { DbConfig } from '../config/schema.ts';
import type { MariaDbPool } from './mariadb-pool.ts';

// One interface, two engines (mariadb.ts, sqlite.ts). The row shape is declared once, here.

export const messageStatus = z.enum(['received', 'rejected']);
export const transport = z.enum(['mllp', 'https']);
/** hl7_message.processing_state (docs/processing.md); NULL: a refused row, or stored before processing. */
export const processingState = z.enum(['received', 'processing', 'processed', 'failed', 'skipped']);

export const newMessageSchema = z.object({
  /** NULL for refused rows. For accepted rows a digest of MSH-3/MSH-4/MSH-10 (unique index). */
  dedupKey: z.string().nullable(),
  controlId: z.string().nullable(),
  sendingApplication: z.string().nullable(),
  sendingFacility: z.string().nullable(),
  receivingApplication: z.string().nullable(),
  receivingFacility: z.string().nullable(),
  messageType: z.string().nullable(),
  triggerEvent: z.string().nullable(),
  version: z.string().nullable(),
  patientId: z.string().nullable(),
  /** PID-3.4 of that identifier (the assigning authority, an HD), as received. */
  patientAuthority: z.string().nullable(),
  transport,
  remoteAddress: z.string().nullable(),
  /** Subject of the peer's TLS client certificate (mutual TLS), else null. */
  tlsClientSubject: z.string().nullable(),
  receivedAt: z.date(),
  charset: z.string().nullable(),
  /** The exact bytes between the MLLP start and end blocks. */
  raw: z.instanceof(Buffer),
  contentHash: z.string(),
  ackCode: z.string().nullable(),
  /** The exact ACK bytes sent (or null when no ACK was sent). */
  ack: z.instanceof(Buffer).nullable(),
  status: messageStatus,
  error: z.string().nullable(),
  /** 'received' for a newly accepted row (waiting to be processed); null for refused rows. */
  processingState: processingState.nullable(),
  /** The lane the row is processed in (src/processing/ordering-key.ts): a digest, never PHI. */
  orderingKey: z.string().nullable(),
});

export type NewMessage = z.infer<typeof newMessageSchema>;

/** The processing columns reads add to a row (the engine writes them; docs/processing.md); the state is in the row. */
export const processingFieldsSchema = z.object({
  processingAttempts: z.number().int().min(0).nullable(),
  /** The last failure's reason (no message content). */
  processingError: z.string().nullable(),
  nextAttemptAt: z.date().nullable(),
  processedAt: z.date().nullable(),
});
export type ProcessingFields = z.infer<typeof processingFieldsSchema>;

export type StoredMessage = NewMessage & ProcessingFields & { id: number };

/**
 * A row as lists return it: every column but the two blobs, which only `getMessage` reads; their
 * sizes instead. A page of large messages then costs kilobytes, not gigabytes.
 */
export const messageSummarySchema = newMessageSchema.omit({ raw: true, ack: true }).extend({
  ...processingFieldsSchema.shape,
  id: z.number().int().positive(),
  /** Bytes of `raw`. */
  rawBytes: z.number().int().min(0),
  /** Bytes of `ack`; null when no ACK was sent. */
  ackBytes: z.number().int().min(0).nullable(),
});

export type MessageSummary = z.infer<typeof messageSummarySchema>;
export type MessageStatus = z.infer<typeof messageStatus>;
export type ProcessingState = z.infer<typeof processingState>;

/** What an accepted row that already holds the same dedup key looks like. */
export type ExistingMessage = { id: number; contentHash: string; ackCode: string | null };

export type InsertResult = { inserted: true; id: number } | { inserted: false; existing: ExistingMessage };

export type Transport = z.infer<typeof transport>;

/** Equality filters, a received_at range, and a keyset position. All optional; combined with AND. */
export type MessageFilter = {
  controlId?: string;
  sendingApplication?: string;
  sendingFacility?: string;
  messageType?: string;
  triggerEvent?: string;
  patientId?: string;
  status?: MessageStatus;
  transport?: Transport;
  /** null: rows without a processing state (refused rows, rows stored before processing). */
  processingState?: ProcessingState | null;
  /** received_at >= from */
  from?: Date;
  /** received_at < to */
  to?: Date;
  /** List order: newest first (received_at desc, id desc) unless set. */
  oldestFirst?: boolean;
  /** Keyset pagination: only rows after this one in list order. */
  after?: { receivedAt: Date; id: number };
  limit?: number;
};

/** One retention pass step: delete at most `limit` rows, oldest first. */
export type ExpiryPolicy = {
  /** Accepted rows (status received) received before this are deleted; null keeps them. */
  acceptedBefore: Date | null;
  /** Refused rows (status rejected) received before this are deleted; null keeps them. */
  rejectedBefore: Date | null;
  limit: number;
};

export type Store = {
  /** Fails (rejects) when the database cannot be reached. */
  ping(): Promise<void>;
  /**
   * Inserts and commits one row. When `dedupKey` is set and an accepted row already holds it,
   * nothing is written and that row is returned instead.
   */
  insertMessage(row: NewMessage): Promise<InsertResult>;
  /**
   * Inserts rows in ONE transaction (an HL7 batch): all are committed or none is. Results are in
   * row order, with the same dedup rule as insertMessage for each row.
   */
  insertMessages(rows: readonly NewMessage[]): Promise<InsertResult[]>;
  getMessage(id: number): Promise<StoredMessage | null>;
  /** Deletes one chunk of expired rows; returns how many were deleted (0 when nothing is left). */
  deleteExpired(policy: ExpiryPolicy): Promise<number>;
  /** Newest first, without the blobs (see MessageSummary). For operators and tests. */
  listMessages(filter?: MessageFilter): Promise<MessageSummary[]>;
  countMessages(filter?: MessageFilter): Promise<number>;
  /**
   * 0..1: the share of the last quarter second in which an ingest commit ran. Near 1, senders are
   * queueing for the store (processing yields to them: src/processing/ingest-yield.ts). Absent on
   * test doubles.
   */
  commitBusyShare?(): number;
  close(): Promise<void>;
  /**
   * The engine underneath, for the other workloads that live in the same database (processing
   * claims, FHIR resources). SQLite: the one handle (one writer per file). Absent on test doubles.
   */
  readonly handle?: StoreHandle;
};

export type StoreHandle =
  | { engine: 'mariadb'; config: DbConfig; pool: MariaDbPool }
  | { engine: 'sqlite'; config: DbConfig; db: Database.Database };

/**
 * What the store logs through (a pino logger fits): start-up notes and warnings about the database,
 * never row values.
 */
export type StoreLog = {
  info(bindings: object, message: string): void;
  warn(bindings: object, message: string): void;
};

export const silentStoreLog: StoreLog = { info: () => undefined, warn: () => undefined };

/** How a store opens (createStore); every field is optional. */
export type StoreOptions = {
  /** false: no DDL and no migrations (`npm run health`, or a schema that a DBA applies by hand). */
  applySchema?: boolean;
  /** Opens nothing for writing (SQLite: read-only, and the file must exist); implies applySchema false. */
  readOnly?: boolean;
  log?: StoreLog;
  /** The folder with mariadb/ and sqlite/ migrations; by default the repository's migrations/ (tests change it). */
  migrationsDir?: string;
};

export { RowTooLargeError, StoreUnavailableError } from './errors.ts';
