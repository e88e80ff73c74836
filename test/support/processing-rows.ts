import type { RowDataPacket } from 'mysql2/promise';
import type { Store } from '../../src/store/store.ts';

// Sets the processing columns of stored rows by SQL, as the engine would, so tests of the operator's
// view (API, metrics, readiness) start from a known backlog on either engine.

export type ProcessingSeed = {
  state?: 'received' | 'processing' | 'processed' | 'failed' | 'skipped' | null;
  attempts?: number | null;
  error?: string | null;
  nextAttemptAt?: Date | null;
  processedAt?: Date | null;
  orderingKey?: string | null;
  receivedAt?: Date;
};

const columnOf = {
  state: 'processing_state',
  attempts: 'processing_attempts',
  error: 'processing_error',
  nextAttemptAt: 'next_attempt_at',
  processedAt: 'processed_at',
  orderingKey: 'ordering_key',
  receivedAt: 'received_at',
} as const satisfies Record<keyof ProcessingSeed, string>;

export async function seedProcessing(store: Store | null, id: number, seed: ProcessingSeed): Promise<void> {
  const handle = store?.handle;
  if (handle === undefined) throw new Error('seedProcessing needs a store with a handle');
  const entries = Object.entries(seed) as [keyof ProcessingSeed, ProcessingSeed[keyof ProcessingSeed]][];
  const sets = entries.map(([field]) => `${columnOf[field]} = ?`).join(', ');
  const sql = `UPDATE hl7_message SET ${sets} WHERE id = ?`;
  if (handle.engine === 'sqlite') {
    const values = entries.map(([, value]) => (value instanceof Date ? value.toISOString() : value));
    handle.db.prepare(sql).run(...values, id);
    return;
  }
  await handle.pool.withConnection((conn) => conn.query(sql, [...entries.map(([, value]) => value), id]));
}

/** The processing columns of one row, read straight from the table. */
export async function processingColumns(store: Store | null, id: number): Promise<Record<string, unknown> | undefined> {
  const handle = store?.handle;
  if (handle === undefined) throw new Error('processingColumns needs a store with a handle');
  const sql =
    'SELECT processing_state, processing_attempts, processing_error, next_attempt_at, processed_at FROM hl7_message WHERE id = ?';
  if (handle.engine === 'sqlite') return handle.db.prepare(sql).get(id) as Record<string, unknown> | undefined;
  return handle.pool.withConnection(async (conn) => (await conn.query<RowDataPacket[]>(sql, [id]))[0][0]);
}
