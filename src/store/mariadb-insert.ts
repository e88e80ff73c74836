import type { PoolConnection, ResultSetHeader } from 'mysql2/promise';
import { isStatementError } from './mariadb-errors.ts';
import type { MariaDbPool } from './mariadb-pool.ts';
import { insertRowsSql, pushInsertParams, rowBytes, type SqlValue } from './message-sql.ts';
import type { NewMessage } from './store.ts';

// Writes rows as few multi-row INSERTs as possible, in one transaction, and returns their ids.
// Statements go through `execute` (binary protocol: blobs travel as bytes, not hex), which prepares
// one server statement per distinct SQL text and connection. To keep that set small, statement sizes
// are exact up to `sizeStep` rows and multiples of it above: at most 64 + 7 distinct INSERTs (fewer
// placeholders in all than steps of 32). A group of up to 64 rows (8 senders pipelining 8 deep) is
// one statement in autocommit: one round trip, where 33 to 63 rows with steps of 32 took four
// (START TRANSACTION, two INSERTs, COMMIT). With it, 8 conns pipelined ×8 went from 15,000 to
// 19,900/s (bench/ab.ts, medians of 4 alternating runs, with the metrics and deadline changes).

/** What the server allows, read at start-up (mariadb-traits.ts). */
export type InsertTraits = {
  /** The largest statement we send: max_allowed_packet less a margin. */
  maxStatementBytes: number;
  /** innodb_autoinc_lock_mode 0 or 1: one multi-row INSERT gets consecutive ids. */
  consecutiveIds: boolean;
  /** auto_increment_increment: the distance between consecutive ids. */
  idStep: number;
};

const sizeStep = 64;
export const maxStatementRows = 512;

/** Row counts of the statements that write `rows`, in order. */
export function statementSizes(rows: readonly NewMessage[], traits: InsertTraits): number[] {
  if (!traits.consecutiveIds) return rows.map(() => 1);
  const sizes: number[] = [];
  const close = (count: number): void => {
    if (count <= sizeStep) return void sizes.push(count);
    const whole = Math.floor(count / sizeStep) * sizeStep;
    sizes.push(whole);
    if (count > whole) sizes.push(count - whole);
  };
  let count = 0;
  let bytes = 0;
  for (const row of rows) {
    const size = rowBytes(row);
    if (count > 0 && (count === maxStatementRows || bytes + size > traits.maxStatementBytes)) {
      close(count);
      count = 0;
      bytes = 0;
    }
    count += 1;
    bytes += size;
  }
  if (count > 0) close(count);
  return sizes;
}

async function insertChunk(
  conn: PoolConnection,
  rows: readonly NewMessage[],
  traits: InsertTraits,
  timeout: number,
): Promise<number[]> {
  const params: SqlValue[] = [];
  for (const row of rows) pushInsertParams(params, row, (date) => date);
  const [header] = await conn.execute<ResultSetHeader>({ sql: insertRowsSql(rows.length), timeout }, params);
  // A multi-row INSERT reports the id of its first row; the others follow it (consecutiveIds).
  const first = Number(header.insertId);
  return rows.map((_row, i) => first + i * traits.idStep);
}

async function inTransaction<T>(conn: PoolConnection, timeout: number, work: () => Promise<T>): Promise<T> {
  await conn.query({ sql: 'START TRANSACTION', timeout });
  try {
    const result = await work();
    await conn.query({ sql: 'COMMIT', timeout });
    return result;
  } catch (err) {
    // A statement error leaves the connection fit for the pool: end the transaction first. Any other
    // error destroys the connection, and the server rolls back on its own.
    if (isStatementError(err)) await conn.query({ sql: 'ROLLBACK', timeout });
    throw err;
  }
}

/**
 * Inserts and commits `rows` (all or none) and returns their ids in order. One statement runs in
 * autocommit: InnoDB makes a single statement atomic, and it saves two round trips.
 */
export async function insertRows(
  pool: MariaDbPool,
  rows: readonly NewMessage[],
  traits: InsertTraits,
  timeout: number,
): Promise<number[]> {
  if (rows.length === 0) return [];
  const sizes = statementSizes(rows, traits);
  if (sizes.length === 1) return pool.withConnection((conn) => insertChunk(conn, rows, traits, timeout));
  return pool.withConnection((conn) =>
    inTransaction(conn, timeout, async () => {
      const ids: number[] = [];
      let at = 0;
      for (const size of sizes) {
        ids.push(...(await insertChunk(conn, rows.slice(at, at + size), traits, timeout)));
        at += size;
      }
      return ids;
    }),
  );
}
