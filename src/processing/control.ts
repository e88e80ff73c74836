import type { RowDataPacket, ResultSetHeader } from 'mysql2/promise';
import { z } from 'zod';
import type { SqlValue } from '../store/message-sql.ts';
import { processingState, type ProcessingState, type StoreHandle } from '../store/store.ts';
import {
  blockedLaneCountSql,
  blockedLanesSql,
  countByStateSql,
  oldestWaitingSql,
  reprocessSql,
  retrySelectSql,
  retryUpdateSql,
  stateOfSql,
  type RetryFilter,
} from './control-sql.ts';

// What an operator sees of processing, and the two things an operator does to it (reprocess one
// event, retry failed ones): GET /api/processing, POST /api/messages/:id/reprocess,
// POST /api/processing/retry, the backlog metrics and /health/ready. Plain SQL on hl7_message
// through the store's own handle: the engine notices the change when it next claims.

export type { RetryFilter } from './control-sql.ts';

export type BlockedLane = {
  /** An opaque lane label (a digest: never a patient identifier). */
  orderingKey: string;
  /** The lane's first failed event: everything after it in the lane waits. */
  failedId: number;
  /** Events of the lane waiting behind it. */
  waiting: number;
};

export type ProcessingStats = {
  /**
   * Events by state. Scope `backlog` counts only received, processing and failed (small sets, an
   * index range each); `all` also the final processed and skipped, which grow with history.
   */
  counts: Partial<Record<ProcessingState, number>>;
  /** The waiting (received or processing) event received first, by id; null when nothing waits. */
  oldestWaiting: { id: number; receivedAt: Date; ageSeconds: number } | null;
  /** Lanes held back by a failed event; always none unless an ordered mode blocks on failure. */
  blocked: { count: number; lanes: BlockedLane[] };
};

export type ReprocessResult =
  | { outcome: 'queued' }
  | { outcome: 'not-found' }
  /** Still waiting or in work: it will be processed anyway. */
  | { outcome: 'not-final'; state: ProcessingState };

export type StatsScope = 'all' | 'backlog';

export type ProcessingControl = {
  stats(now: Date, scope?: StatsScope): Promise<ProcessingStats>;
  /** Only the oldest waiting event (two index probes): for readiness. */
  oldestWaiting(now: Date): Promise<ProcessingStats['oldestWaiting']>;
  reprocess(id: number): Promise<ReprocessResult>;
  /** How many events were set back to received. */
  retry(filter: RetryFilter): Promise<number>;
};

export type ControlOptions = {
  /** Whether a failed event holds back its lane (an ordered mode with onFailure block). */
  blocking: boolean;
  /** Blocked lanes listed (all are counted). */
  maxLanes?: number;
  /** Rows per retry UPDATE. */
  retryChunk?: number;
};

type Runner = {
  all(sql: string, params?: SqlValue[]): Promise<unknown[]>;
  /** Rows changed. */
  run(sql: string, params?: SqlValue[]): Promise<number>;
  encodeDate(date: Date): SqlValue;
};

function runnerOf(handle: StoreHandle): Runner {
  if (handle.engine === 'sqlite') {
    const { db } = handle;
    return {
      all: async (sql, params = []) => db.prepare(sql).all(...params),
      run: async (sql, params = []) => db.prepare(sql).run(...params).changes,
      encodeDate: (date) => date.toISOString(),
    };
  }
  const { pool, config } = handle;
  const query = <T extends RowDataPacket[] | ResultSetHeader>(sql: string, values: SqlValue[]): Promise<T> =>
    pool.withConnection(async (conn) => (await conn.query<T>({ sql, values, timeout: config.queryTimeoutMs }))[0]);
  return {
    all: (sql, params = []) => query<RowDataPacket[]>(sql, params),
    run: async (sql, params = []) => (await query<ResultSetHeader>(sql, params)).affectedRows,
    encodeDate: (date) => date,
  };
}

const backlogStates = ['received', 'processing', 'failed'] as const satisfies readonly ProcessingState[];

const countRow = z.object({ state: processingState, n: z.coerce.number().int() });
const idRow = z.object({ id: z.coerce.number().int() });
const nRow = z.object({ n: z.coerce.number().int() });
const oldestRow = z.object({ id: z.coerce.number().int(), received_at: z.coerce.date() });
const laneRow = z
  .object({ ordering_key: z.string(), failed_id: z.coerce.number().int(), waiting: z.coerce.number().int() })
  .transform((row) => ({ orderingKey: row.ordering_key, failedId: row.failed_id, waiting: row.waiting }));
const stateRow = z.object({ status: z.string(), processing_state: processingState.nullable() });

export function createProcessingControl(handle: StoreHandle, options: ControlOptions): ProcessingControl {
  const db = runnerOf(handle);
  const maxLanes = options.maxLanes ?? 100;
  const retryChunk = options.retryChunk ?? 1000;

  async function blocked(): Promise<ProcessingStats['blocked']> {
    if (!options.blocking) return { count: 0, lanes: [] };
    const count = nRow.parse((await db.all(blockedLaneCountSql))[0]).n;
    const lanes = count === 0 ? [] : (await db.all(blockedLanesSql(maxLanes))).map((row) => laneRow.parse(row));
    return { count, lanes };
  }

  async function oldestWaiting(now: Date): Promise<ProcessingStats['oldestWaiting']> {
    const heads = (await db.all(oldestWaitingSql(handle.engine))).map((row) => oldestRow.parse(row)).sort((a, b) => a.id - b.id);
    const head = heads[0];
    if (head === undefined) return null;
    return { id: head.id, receivedAt: head.received_at, ageSeconds: Math.max(0, (now.getTime() - head.received_at.getTime()) / 1000) };
  }

  async function stats(now: Date, scope: StatsScope = 'all'): Promise<ProcessingStats> {
    const states = scope === 'all' ? processingState.options : backlogStates;
    const counts: Partial<Record<ProcessingState, number>> = Object.fromEntries(states.map((state) => [state, 0]));
    for (const row of await db.all(countByStateSql(states))) {
      const { state, n } = countRow.parse(row);
      counts[state] = n;
    }
    return { counts, oldestWaiting: await oldestWaiting(now), blocked: await blocked() };
  }

  async function reprocess(id: number): Promise<ReprocessResult> {
    if ((await db.run(reprocessSql, [id])) > 0) return { outcome: 'queued' };
    const found = (await db.all(stateOfSql, [id]))[0];
    if (found === undefined) return { outcome: 'not-found' };
    const row = stateRow.parse(found);
    // A refused row is not an event; a row that is neither final nor waiting cannot be left here.
    if (row.status !== 'received' || row.processing_state === null) return { outcome: 'not-found' };
    return { outcome: 'not-final', state: row.processing_state };
  }

  async function retry(filter: RetryFilter): Promise<number> {
    let total = 0;
    let afterId = 0;
    for (;;) {
      const { sql, params } = retrySelectSql(filter, afterId, retryChunk, db.encodeDate);
      const ids = (await db.all(sql, params)).map((row) => idRow.parse(row).id);
      const last = ids.at(-1);
      if (last === undefined) return total;
      total += await db.run(retryUpdateSql(filter, ids));
      if (ids.length < retryChunk) return total;
      afterId = last;
    }
  }

  return { stats, oldestWaiting, reprocess, retry };
}
