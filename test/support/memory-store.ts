import type { InsertResult, MessageFilter, MessageSummary, NewMessage, ProcessingFields, Store, StoredMessage } from '../../src/store/store.ts';

// A Store made of plain data, for unit tests of the code above the store. It follows the contract
// (dedup by key, batches all-or-nothing, newest first) without SQL. `failWith` makes every write fail.

export type MemoryStore = Store & { rows: StoredMessage[]; failWith: Error | null };

export function createMemoryStore(): MemoryStore {
  const rows: StoredMessage[] = [];
  let nextId = 1;

  function existingFor(row: NewMessage, pending: readonly StoredMessage[]): InsertResult | null {
    if (row.dedupKey === null) return null;
    const found = [...rows, ...pending].find((r) => r.dedupKey === row.dedupKey);
    return found ? { inserted: false, existing: { id: found.id, contentHash: found.contentHash, ackCode: found.ackCode } } : null;
  }

  function insertAll(batch: readonly NewMessage[]): InsertResult[] {
    if (store.failWith) throw store.failWith;
    const pending: StoredMessage[] = [];
    const results = batch.map((row): InsertResult => {
      const existing = existingFor(row, pending);
      if (existing) return existing;
      const stored = { ...row, ...processingOnInsert(row), id: nextId++ };
      pending.push(stored);
      return { inserted: true, id: stored.id };
    });
    rows.push(...pending);
    return results;
  }

  const store: MemoryStore = {
    rows,
    failWith: null,
    async ping() {
      if (store.failWith) throw store.failWith;
    },
    async insertMessage(row) {
      const [result] = insertAll([row]);
      if (!result) throw new Error('no result');
      return result;
    },
    async insertMessages(batch) {
      return insertAll(batch);
    },
    async getMessage(id) {
      return rows.find((r) => r.id === id) ?? null;
    },
    async listMessages(filter = {}) {
      // As the engines do: a fractional limit is cut, and at least one row is asked for.
      const limit = filter.limit !== undefined && Number.isFinite(filter.limit) ? Math.max(Math.trunc(filter.limit), 1) : 500;
      return select(rows, filter).slice(0, limit).map(summarize);
    },
    async countMessages(filter = {}) {
      return select(rows, { ...filter, limit: undefined }).length;
    },
    async deleteExpired(policy) {
      // Oldest first: by received_at, then id, as the engines do.
      const expired = rows
        .filter((r) => {
          const before = r.status === 'received' ? policy.acceptedBefore : policy.rejectedBefore;
          return before !== null && r.receivedAt < before;
        })
        .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.id - b.id)
        .slice(0, Math.max(Math.trunc(policy.limit), 0));
      for (const row of expired) rows.splice(rows.indexOf(row), 1);
      return expired.length;
    },
    async close() {},
  };
  return store;
}

/** As the engines store a new row: accepted rows wait for processing, refused rows are never processed. */
function processingOnInsert(row: NewMessage): ProcessingFields {
  const accepted = row.status === 'received' && row.processingState !== null;
  return { processingAttempts: accepted ? 0 : null, processingError: null, nextAttemptAt: null, processedAt: null };
}

/** As the engines list a row: no blobs, their sizes instead. */
function summarize({ raw, ack, ...rest }: StoredMessage): MessageSummary {
  return { ...rest, rawBytes: raw.length, ackBytes: ack === null ? null : ack.length };
}

function select(rows: readonly StoredMessage[], f: MessageFilter): StoredMessage[] {
  const equal: [keyof MessageFilter & keyof StoredMessage, unknown][] = [
    ['controlId', f.controlId],
    ['sendingApplication', f.sendingApplication],
    ['sendingFacility', f.sendingFacility],
    ['messageType', f.messageType],
    ['triggerEvent', f.triggerEvent],
    ['patientId', f.patientId],
    ['status', f.status],
    ['transport', f.transport],
  ];
  return rows
    .filter((r) => equal.every(([field, value]) => value === undefined || r[field] === value))
    .filter((r) => f.processingState === undefined || r.processingState === f.processingState)
    .filter((r) => (f.from === undefined || r.receivedAt >= f.from) && (f.to === undefined || r.receivedAt < f.to))
    .sort((a, b) => (f.oldestFirst === true ? -1 : 1) * (b.receivedAt.getTime() - a.receivedAt.getTime() || b.id - a.id))
    .filter((r) => {
      const after = f.after;
      if (after === undefined) return true;
      const t = (f.oldestFirst === true ? -1 : 1) * (r.receivedAt.getTime() - after.receivedAt.getTime());
      return t < 0 || (t === 0 && (f.oldestFirst === true ? r.id > after.id : r.id < after.id));
    });
}
