import type { InsertResult, NewMessage, Store, StoredMessage } from '../../src/store/store.ts';

// A Store that keeps only what transport tests look at (MSH-10, status, ACK code) in a Map, so that
// tens of thousands of messages cost microseconds each. For tests whose subject is the socket, not
// the database: on loopback the kernel buffers about 26,000 ACKs for a peer that does not read
// (measured), far more than a durable store commits within a test's time.

export type CountedRow = Pick<StoredMessage, 'id' | 'controlId' | 'status' | 'ackCode' | 'contentHash'>;

export type CountingStore = Store & {
  rows: CountedRow[];
  /** Rows whose MSH-10 begins with `${prefix}-`. */
  count(prefix: string): number;
};

export function createCountingStore(): CountingStore {
  const rows: CountedRow[] = [];
  const byKey = new Map<string, CountedRow>();
  const byPrefix = new Map<string, number>();

  function insert(row: NewMessage): InsertResult {
    const existing = row.dedupKey === null ? undefined : byKey.get(row.dedupKey);
    if (existing) return { inserted: false, existing: { id: existing.id, contentHash: existing.contentHash, ackCode: existing.ackCode } };
    const kept: CountedRow = { id: rows.length + 1, controlId: row.controlId, status: row.status, ackCode: row.ackCode, contentHash: row.contentHash };
    rows.push(kept);
    if (row.dedupKey !== null) byKey.set(row.dedupKey, kept);
    const prefix = (row.controlId ?? '').split('-')[0] ?? '';
    byPrefix.set(prefix, (byPrefix.get(prefix) ?? 0) + 1);
    return { inserted: true, id: kept.id };
  }

  const unsupported = (): Promise<never> => Promise.reject(new Error('not kept by the counting store'));
  return {
    rows,
    count: (prefix) => byPrefix.get(prefix) ?? 0,
    ping: async () => undefined,
    insertMessage: async (row) => insert(row),
    insertMessages: async (batch) => batch.map(insert),
    getMessage: unsupported,
    listMessages: unsupported,
    countMessages: async () => rows.length,
    deleteExpired: async () => 0,
    close: async () => undefined,
  };
}
