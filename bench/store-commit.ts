// Store-only microbenchmark of the write path (issue 3): N callers, each inserting one row at a time
// and waiting for its commit (as stop-and-wait senders do).
//
//   npx tsx bench/store-commit.ts            # MariaDB (HL7_BENCH_DB_URL, else HL7_TEST_DB_URL, else root@127.0.0.1:3306) and SQLite
//   BENCH_SECONDS=2 BENCH_ROUNDS=5 npx tsx bench/store-commit.ts
//
// MariaDB runs in a database the script creates and drops; SQLite in a temporary directory. The
// "one INSERT per row" line is the write path before group commit (a pool of 10, autocommit INSERTs).
// Shared machines are noisy, so the variants of one caller count take turns, round after round, and
// each line shows the median round (rate) and the p99 over all rounds.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool } from 'mysql2/promise';
import { dbSchema } from '../src/config/schema.ts';
import { createMariaDbStore } from '../src/store/mariadb.ts';
import { insertParams, insertSql } from '../src/store/message-sql.ts';
import { createSqliteStore } from '../src/store/sqlite.ts';
import type { NewMessage } from '../src/store/store.ts';
import { createMariaDbBenchDb } from './bench-db.ts';
import { messageFactory } from './fixtures.ts';
import { percentile } from './report.ts';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const callerCounts = [1, 8, 32];
const warmUpMs = 300;

const raw = messageFactory('ADT', 12)('BENCH0000001');
let sequence = 0;

/** A 1.2 KB ADT row with a fresh dedup key; the bytes are shared, the store does not care. */
function nextRow(): NewMessage {
  sequence += 1;
  const controlId = `B${sequence.toString(16).padStart(11, '0')}`;
  return {
    dedupKey: `${process.pid.toString(16)}-${controlId}`.padStart(64, '0'),
    controlId,
    sendingApplication: 'BENCH',
    sendingFacility: 'FAC',
    receivingApplication: 'RCV',
    receivingFacility: 'RFAC',
    messageType: 'ADT',
    triggerEvent: 'A01',
    version: '2.5',
    patientId: 'PAT-0012345',
    patientAuthority: null,
    transport: 'mllp',
    remoteAddress: '127.0.0.1',
    tlsClientSubject: null,
    receivedAt: new Date(),
    charset: 'UTF-8',
    raw,
    contentHash: 'c'.repeat(64),
    ackCode: 'AA',
    ack: Buffer.alloc(120, 0x41),
    status: 'received',
    error: null,
    processingState: null,
    orderingKey: null,
  };
}

type Insert = (row: NewMessage) => Promise<unknown>;
type Result = { rows: number; ms: number; latencies: number[] };

async function drive(insert: Insert, callers: number, durationMs: number): Promise<Result> {
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + durationMs;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await insert(nextRow());
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { rows: latencies.length, ms: performance.now() - started, latencies };
}

type Variant = { label: string; insert: Insert };

/** Runs every variant for each caller count, in turns, and prints one line per variant and count. */
async function measure(variants: readonly Variant[]): Promise<void> {
  for (const callers of callerCounts) {
    const runs = variants.map(() => [] as Result[]);
    for (const variant of variants) await drive(variant.insert, callers, warmUpMs);
    for (let round = 0; round < rounds; round += 1) {
      for (const [i, variant] of variants.entries()) runs[i]!.push(await drive(variant.insert, callers, seconds * 1000));
    }
    variants.forEach((variant, i) => console.log(line(variant.label, callers, runs[i]!)));
  }
}

function line(label: string, callers: number, runs: Result[]): string {
  const rates = runs.map((run) => run.rows / (run.ms / 1000)).sort((a, b) => a - b);
  const median = Math.round(rates[Math.floor(rates.length / 2)] ?? Number.NaN);
  const sorted = runs.flatMap((run) => run.latencies).sort((a, b) => a - b);
  const spread = `${Math.round(rates[0] ?? 0)}-${Math.round(rates[rates.length - 1] ?? 0)}`;
  return (
    `${label.padEnd(38)} ${String(callers).padStart(3)} callers ${String(median).padStart(7)} rows/s ` +
    `(rounds ${spread.padEnd(11)}) p50 ${percentile(sorted, 50).toFixed(2)} ms  p99 ${percentile(sorted, 99).toFixed(2)} ms`
  );
}

async function benchMariaDb(): Promise<void> {
  const db = await createMariaDbBenchDb();
  const { config } = db;
  if (config.driver !== 'mariadb') throw new Error('expected a MariaDB bench database');
  try {
    const store = await createMariaDbStore(config);
    const store2 = await createMariaDbStore(config, { commitConcurrency: 2 });
    // The write path before group commit: one autocommit INSERT per row on a pool of 10.
    const { host, port, user, password, database } = config;
    const pool = createPool({ host, port, user, password, database, connectionLimit: 10, timezone: 'Z' });
    await measure([
      { label: 'mariadb, group commit', insert: (row) => store.insertMessage(row) },
      { label: 'mariadb, group commit, 2 in flight', insert: (row) => store2.insertMessage(row) },
      { label: 'mariadb, one INSERT per row (before)', insert: (row) => pool.execute(insertSql, insertParams(row, (date) => date)) },
    ]);
    await Promise.all([store.close(), store2.close(), pool.end()]);
  } finally {
    await db.drop();
  }
}

async function benchSqlite(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hl7-bench-'));
  try {
    const store = createSqliteStore(dbSchema.parse({ driver: 'sqlite', file: join(dir, 'bench.sqlite') }));
    await measure([{ label: 'sqlite, group commit', insert: (row) => store.insertMessage(row) }]);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`store-commit: 1.2 KB ADT rows, each caller waits for its commit; ${rounds} rounds of ${seconds} s per line`);
await benchMariaDb();
await benchSqlite();
