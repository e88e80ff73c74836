import { z } from 'zod';

// One interface, two engines (mariadb.ts, sqlite.ts). The row shape is declared once, here.

export const messageStatus = z.enum(['received', 'rejected']);
export const transport = z.enum(['mllp', 'https']);

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
  transport,
  remoteAddress: z.string().nullable(),
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
});

export type NewMessage = z.infer<typeof newMessageSchema>;
export type StoredMessage = NewMessage & { id: number };
export type MessageStatus = z.infer<typeof messageStatus>;

/** What an accepted row that already holds the same dedup key looks like. */
export type ExistingMessage = { id: number; contentHash: string; ackCode: string | null };

export type InsertResult = { inserted: true; id: number } | { inserted: false; existing: ExistingMessage };

export type MessageFilter = {
  controlId?: string;
  status?: MessageStatus;
  patientId?: string;
  limit?: number;
};

export type Store = {
  /** Fails (rejects) when the database cannot be reached. */
  ping(): Promise<void>;
  /**
   * Inserts and commits one row. When `dedupKey` is set and an accepted row already holds it,
   * nothing is written and that row is returned instead.
   */
  insertMessage(row: NewMessage): Promise<InsertResult>;
  /** Newest first. For operators and tests. */
  listMessages(filter?: MessageFilter): Promise<StoredMessage[]>;
  countMessages(filter?: MessageFilter): Promise<number>;
  close(): Promise<void>;
};

/** Raised by engines when the database cannot be reached or did not answer in time. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
