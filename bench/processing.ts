import { performance } from 'node:perf_hooks';
import { connect as connectAmqp } from 'amqplib';
import { createConnection, type Connection, type RowDataPacket } from 'mysql2/promise';
import type { DbConfig } from '../src/config/schema.ts';
import type { BenchDb } from './bench-db.ts';
import { costLine, costMark } from './drain-cost.ts';
import type { MessageKind } from './fixtures.ts';
import { runScenario, type Scenario, type Timing } from './scenario.ts';
import { startOurService, type ServerProcess } from './servers.ts';

// Issue 10's figures, on MariaDB, printed never asserted:
//   1. drain rate per ordering mode and sink: a backlog stored with processing off, then a service
//      with processing on, timed from listening until nothing waits;
//   2. lag (received_at → processed_at) p50/p99 at a steady open-loop ingest rate;
//   3. ingest at 32 connections with processing on (noop sink) against processing off, same run,
//      in alternated pairs (the ratio of the medians), with what processing cleared meanwhile.
// Messages spread over `patients` patients (PID-3), so per-patient has that many lanes.
// HL7_BENCH_DRAIN_PROFILE=<dir>: the draining services write a CPU profile there (node --cpu-prof).
// HL7_BENCH_DRAIN_COST=1: each drain row also prints what an event cost (bench/drain-cost.ts).

export type ProcessingBenchOptions = {
  timing: Timing;
  patients: number;
  /** Messages/s of the lag run. */
  lagRate: number;
  /**
   * Events stored for each drain row, by kind; 0: as many as `timing` stores. A fixed size keeps
   * rows comparable: the share of creations (each patient's first event) follows it.
   */
  backlog: Record<MessageKind, number>;
  modes: string[];
  sinks: string[];
  amqpUrl: string;
  /** Only the drain rows (no lag and ingest runs). */
  drainOnly?: boolean;
  /** Ingest runs alone / with processing, alternated: the ratio is that of the medians. */
  ingestPairs: number;
  out: (line?: string) => void;
};

const ordered = ['sequential', 'per-patient', 'per-sender', 'parallel'];

function processingConfig(enabled: boolean, ordering: string, sink: string, amqpUrl: string): Record<string, unknown> {
  return {
    enabled,
    ordering,
    routes: [{ match: {}, sinks: [sink] }],
    ...(sink === 'amqp' ? { amqp: { url: amqpUrl, exchange: 'hl7v2-bench' } } : {}),
    // Engine settings to compare (e.g. '{"batchSize":250}'); the defaults otherwise.
    ...(JSON.parse(process.env.HL7_BENCH_PROCESSING ?? '{}') as Record<string, unknown>),
  };
}

async function adminConnection(db: DbConfig): Promise<Connection> {
  return createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
}

async function countWaiting(conn: Connection): Promise<{ waiting: number; done: number; failed: number }> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT SUM(processing_state IN ('received','processing')) AS waiting,
            SUM(processing_state IN ('processed','skipped')) AS done,
            SUM(processing_state = 'failed') AS failed
       FROM hl7_message WHERE processing_state IS NOT NULL`,
  );
  const row: RowDataPacket = rows[0] ?? ({} as RowDataPacket);
  return { waiting: Number(row.waiting ?? 0), done: Number(row.done ?? 0), failed: Number(row.failed ?? 0) };
}

/**
 * Polls whether any event still waits: one index entry read, so the poll does not slow the engine
 * (a COUNT of the waiting ones read ~12,000 index entries per poll, a third of mariadbd's row reads
 * in a fhir drain).
 */
async function waitDrained(conn: Connection, timeoutMs: number): Promise<{ drainedAt: number; counts: Awaited<ReturnType<typeof countWaiting>> }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [rows] = await conn.query<RowDataPacket[]>(`SELECT EXISTS (SELECT 1 FROM hl7_message WHERE processing_state IN ('received', 'processing')) AS waiting`);
    const drainedAt = performance.now();
    if (Number(rows[0]?.waiting ?? 0) === 0 || drainedAt > deadline) return { drainedAt, counts: await countWaiting(conn) };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stores a backlog with processing off: 8 connections pipelined ×8, `backlog` events (or for the timing's duration). */
async function storeBacklog(db: BenchDb, options: ProcessingBenchOptions, tag: string, kind: MessageKind): Promise<void> {
  const service = await startOurService(db.config, { processing: processingConfig(false, 'per-patient', 'noop', options.amqpUrl) });
  try {
    const scenario: Scenario = { kind, conns: 8, depth: 8 };
    const count = options.backlog[kind];
    // With a count, the run ends when it is stored; the duration only bounds it.
    const timing = count > 0 ? { ...options.timing, durationMs: Math.max(options.timing.durationMs, 600_000), maxMessages: count } : options.timing;
    const result = await runScenario(service, scenario, { ...timing, patients: options.patients }, tag);
    if (result.failure !== null) throw new Error(`storing the backlog failed: ${result.failure}`);
  } finally {
    await service.stop();
  }
}

async function drainRow(db: BenchDb, conn: Connection, options: ProcessingBenchOptions, mode: string, sink: string, tag: string, kind: MessageKind = 'ADT'): Promise<string> {
  await db.empty();
  await storeBacklog(db, options, tag, kind);
  const before = await countWaiting(conn);
  const queue = sink === 'amqp' && process.env.HL7_BENCH_AMQP_QUEUE !== '0' ? await bindBenchQueue(options.amqpUrl) : null;
  const started = performance.now();
  const service: ServerProcess = await startOurService(db.config, { processing: processingConfig(true, mode, sink, options.amqpUrl), cpuProfileDir: process.env.HL7_BENCH_DRAIN_PROFILE });
  try {
    const cost = process.env.HL7_BENCH_DRAIN_COST === '1' ? await costMark(conn, service.pid) : null;
    const { drainedAt, counts } = await waitDrained(conn, 300_000);
    const costAfter = cost === null ? null : await costMark(conn, service.pid);
    const seconds = (drainedAt - started) / 1000;
    // The engine's own pace: first to last processed_at (the database's clock), without start-up.
    const [span] = await conn.query<RowDataPacket[]>(
      `SELECT TIMESTAMPDIFF(MICROSECOND, MIN(processed_at), MAX(processed_at)) / 1e6 AS s FROM hl7_message WHERE processing_state = 'processed'`,
    );
    const busy = Number(span[0]?.s ?? 0);
    const rate = busy > 0 ? Math.round(counts.done / busy) : Number.NaN;
    const extra = counts.failed > 0 ? `, ${counts.failed} failed` : counts.waiting > 0 ? `, ${counts.waiting} still waiting (timed out)` : '';
    const row = `  ${mode.padEnd(12)} ${sink.padEnd(5)} ${kind} ${String(before.waiting).padStart(7)} events: ${String(rate).padStart(6)} events/s (first to last processed, ${busy.toFixed(2)} s; ${seconds.toFixed(1)} s with start-up)${extra}`;
    return cost === null || costAfter === null ? row : `${row}\n${costLine(cost, costAfter, counts.done)}`;
  } finally {
    await service.stop();
    await queue?.();
  }
}

/**
 * As a site has it: a durable queue bound to every key of the exchange, so RabbitMQ stores each
 * persistent message (unbound, it returns each one to the publisher: `mandatory`). No consumer;
 * deleted after the row. HL7_BENCH_AMQP_QUEUE=0 leaves the exchange unbound. Returns the clean-up.
 */
async function bindBenchQueue(url: string): Promise<() => Promise<void>> {
  const model = await connectAmqp(url);
  const channel = await model.createChannel();
  const exchange = (processingConfig(true, 'parallel', 'amqp', url).amqp as { exchange: string }).exchange;
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const { queue } = await channel.assertQueue('hl7-bench-drain', { durable: true });
  await channel.purgeQueue(queue);
  await channel.bindQueue(queue, exchange, 'hl7.#');
  return async () => {
    await channel.deleteQueue(queue);
    await model.close();
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function lagRun(db: BenchDb, conn: Connection, options: ProcessingBenchOptions, tag: string): Promise<string[]> {
  await db.empty();
  const service = await startOurService(db.config, { processing: processingConfig(true, 'per-patient', 'noop', options.amqpUrl) });
  try {
    const scenario: Scenario = { kind: 'ADT', conns: 8, depth: 1 };
    const timing = { ...options.timing, patients: options.patients, ratePerSec: options.lagRate };
    const result = await runScenario(service, scenario, timing, tag);
    await waitDrained(conn, 120_000);
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT TIMESTAMPDIFF(MICROSECOND, received_at, processed_at) / 1000 AS lag_ms FROM hl7_message
        WHERE processing_state = 'processed' ORDER BY lag_ms`,
    );
    const lags = rows.map((r) => Number(r.lag_ms));
    const sent = result.report === null ? 0 : Math.round(result.report.answered / (result.report.windowMs / 1000));
    return [
      `  per-patient noop at ${options.lagRate} msg/s offered (${sent}/s answered in the window${result.failure ? `; ${result.failure}` : ''}):`,
      `  lag received→processed over ${lags.length} events: p50 ${percentile(lags, 50).toFixed(0)} ms, p99 ${percentile(lags, 99).toFixed(0)} ms, max ${percentile(lags, 100).toFixed(0)} ms`,
    ];
  } finally {
    await service.stop();
  }
}

type IngestRun = { rate: number; processedRate: number };

/** Ingest at 32 connections; with processing on, also what it processed meanwhile (it yields to ingest, src/processing/ingest-yield.ts). */
async function ingestRate(db: BenchDb, conn: Connection, options: ProcessingBenchOptions, enabled: boolean, tag: string): Promise<IngestRun> {
  await db.empty();
  const service = await startOurService(db.config, { processing: processingConfig(enabled, 'per-patient', 'noop', options.amqpUrl) });
  try {
    const started = Date.now();
    const result = await runScenario(service, { kind: 'ADT', conns: 32, depth: 1 }, { ...options.timing, patients: options.patients }, tag);
    if (result.report === null) throw new Error(`ingest run failed: ${result.failure}`);
    const [rows] = await conn.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM hl7_message WHERE processing_state = 'processed'`);
    return { rate: result.report.answered / (result.report.windowMs / 1000), processedRate: Number(rows[0]?.n ?? 0) / ((Date.now() - started) / 1000) };
  } finally {
    await service.stop();
  }
}

export async function runProcessingBench(db: BenchDb, options: ProcessingBenchOptions): Promise<void> {
  const { out } = options;
  if (db.config.driver !== 'mariadb') throw new Error('the processing bench runs on MariaDB (--store mariadb)');
  const conn = await adminConnection(db.config);
  try {
    out(`\nprocessing (issue 10), ADT 1.2 KB over ${options.patients} patients, MariaDB:`);
    out('drain rate of a stored backlog (targets: per-patient and parallel >= 10,000/s, sequential >= 3,000/s):');
    let n = 0;
    for (const sink of options.sinks) {
      for (const mode of options.modes.filter((m) => ordered.includes(m))) {
        out(await drainRow(db, conn, options, mode, sink, `P${String(n++).padStart(2, '0')}`));
      }
    }
    if (options.sinks.includes('fhir') && process.env.HL7_BENCH_SKIP_ORU !== '1') {
      out('FHIR projection, ORU 20 KB (target >= 1,000/s; ADT >= 5,000/s, the per-patient fhir row above):');
      out(await drainRow(db, conn, options, 'per-patient', 'fhir', `P${String(n++).padStart(2, '0')}`, 'ORU'));
    }
    if (options.drainOnly === true) return;
    out(`lag at a steady ingest rate (target: p99 < 1 s at 2,000 msg/s):`);
    (await lagRun(db, conn, options, 'PLAG')).forEach((line) => out(line));
    const alone: number[] = [];
    const withProcessing: IngestRun[] = [];
    for (let pair = 0; pair < options.ingestPairs; pair += 1) {
      alone.push((await ingestRate(db, conn, options, false, `PIA${pair}`)).rate);
      withProcessing.push(await ingestRate(db, conn, options, true, `PIB${pair}`));
    }
    const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
    const rates = withProcessing.map((run) => run.rate);
    const round = (values: number[]): string => values.map((v) => Math.round(v)).join(', ');
    out(`ingest, 32 connections stop-and-wait, ${options.ingestPairs} alternated pairs, medians (target: with processing >= 0.7x alone):`);
    out(`  alone ${Math.round(median(alone))} msg/s, with processing (per-patient, noop) ${Math.round(median(rates))} msg/s: ${(median(rates) / median(alone)).toFixed(2)}x`);
    out(`  runs: alone ${round(alone)}; with processing ${round(rates)}`);
    out(`  processed meanwhile (processing yields to saturated ingest): ${round(withProcessing.map((run) => run.processedRate))} events/s`);
  } finally {
    await conn.end();
  }
}
