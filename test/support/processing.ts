import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { dbSchema, type DbConfig } from '../../src/config/schema.ts';
import { createTestDatabase, type TestDatabase } from './mariadb.ts';
import type { SinkName } from '../../src/config/schema.ts';
import type { Sink, SinkEvent, SinkResult } from '../../src/processing/sink.ts';
import type { Store } from '../../src/store/store.ts';
import { connectTo } from './schema-probes.ts';

// Test sinks and probes for the processing engine: a sink that records what it saw (and can be told
// to fail), and the processing columns of hl7_message read straight from the database.

export type Delivery = { id: number; orderingKey: string; controlId: string | null; attempt: number };

export type RecordingSink = Sink & {
  /** Every event delivered, in delivery order (a redelivery appears again). */
  seen: Delivery[];
  /** Resolves once `count` distinct ids were delivered; rejects after `ms`. */
  waitForIds(count: number, ms?: number): Promise<void>;
  /** Decides each event's result; default ok. */
  decide: (event: SinkEvent, attempt: number) => SinkResult;
};

export function createRecordingSink(name: SinkName = 'log'): RecordingSink {
  const seen: Delivery[] = [];
  const ids = new Set<number>();
  const attempts = new Map<number, number>();
  const waiters: { count: number; resolve: () => void }[] = [];
  const sink: RecordingSink = {
    name,
    seen,
    decide: () => ({ ok: true }),
    deliver: async (events) =>
      events.map((event) => {
        const attempt = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, attempt);
        seen.push({ id: event.id, orderingKey: event.orderingKey, controlId: event.controlId, attempt });
        const result = sink.decide(event, attempt);
        if (result.ok) ids.add(event.id);
        for (const w of waiters.filter((w) => ids.size >= w.count)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
        return result;
      }),
    waitForIds: (count, ms = 60_000) =>
      ids.size >= count
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`only ${ids.size} of ${count} events delivered within ${ms} ms`)), ms);
            waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
          }),
  };
  return sink;
}

export type ProcessingRow = {
  id: number;
  state: string | null;
  attempts: number | null;
  error: string | null;
  orderingKey: string | null;
  /** PID-3 as stored: tests group by it where the lane key is gone (final events). */
  patientId: string | null;
  nextAttemptAt: Date | null;
  processedAt: Date | null;
};

const columns = 'id, processing_state, processing_attempts, processing_error, ordering_key, patient_id, next_attempt_at, processed_at';

function toRow(r: Record<string, unknown>): ProcessingRow {
  const date = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));
  return {
    id: Number(r.id),
    state: (r.processing_state as string | null) ?? null,
    attempts: r.processing_attempts === null ? null : Number(r.processing_attempts),
    error: (r.processing_error as string | null) ?? null,
    orderingKey: (r.ordering_key as string | null) ?? null,
    patientId: (r.patient_id as string | null) ?? null,
    nextAttemptAt: date(r.next_attempt_at),
    processedAt: date(r.processed_at),
  };
}

/** Runs SQL on the store's own database (SQLite handle, or a fresh MariaDB connection). */
export async function runSql(store: Store, sql: string, params: (string | number | null)[] = []): Promise<Record<string, unknown>[]> {
  const handle = store.handle;
  if (handle === undefined) throw new Error('store has no handle');
  if (handle.engine === 'sqlite') {
    const statement = handle.db.prepare(sql);
    return statement.reader ? (statement.all(...params) as Record<string, unknown>[]) : (statement.run(...params), []);
  }
  const conn: Connection = await connectTo(handle.config);
  try {
    const [rows] = await conn.query(sql, params);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  } finally {
    await conn.end();
  }
}

export async function processingRows(store: Store): Promise<ProcessingRow[]> {
  return (await runSql(store, `SELECT ${columns} FROM hl7_message ORDER BY id`)).map(toRow);
}

/** Polls `check` until it returns true; rejects after `ms` (a condition with a deadline, not a sleep). */
export async function waitUntil(check: () => Promise<boolean> | boolean, ms = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every row final (processed, failed or skipped) or NULL (refused). */
export async function allFinal(store: Store): Promise<boolean> {
  const rows = await runSql(store, `SELECT COUNT(*) AS n FROM hl7_message WHERE processing_state IN ('received', 'processing')`);
  return Number(rows[0]?.n) === 0;
}

/**
 * The two engines a processing test runs on, each call a fresh database: a SQLite file in `dir`, or a
 * MariaDB database named after `prefix` (null when MariaDB is not reachable); `drop()` after the file.
 */
export function engineDatabases(dir: string, prefix: string): {
  engines: { name: string; config: () => Promise<DbConfig | null> }[];
  drop(): Promise<void>;
} {
  const databases: TestDatabase[] = [];
  let files = 0;
  return {
    engines: [
      { name: 'sqlite', config: async () => dbSchema.parse({ driver: 'sqlite', file: join(dir, `${prefix}-${(files += 1)}.sqlite`) }) },
      {
        name: 'mariadb',
        config: async () => {
          const db = await createTestDatabase(prefix);
          if (db !== null) databases.push(db);
          return db?.config ?? null;
        },
      },
    ],
    drop: async () => {
      for (const db of databases.splice(0)) await db.drop();
    },
  };
}
