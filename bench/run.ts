import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createMariaDbBenchDb, createSqliteBenchDb, type BenchDb } from './bench-db.ts';
import { hotIngestRows } from './hot-ingest.ts';
import { hotPathRows } from './hot-path.ts';
import { memoryLines, runMemory } from './memory-run.ts';
import { formatRow } from './report.ts';
import { checkTargets, ratioTable, resultTable, summarize, targetLines } from './results.ts';
import { runScenario, scenarioLabel, type Scenario, type ScenarioResult, type Timing } from './scenario.ts';
import { runProcessingBench } from './processing.ts';
import { startOurService, startReference, type ServerName, type ServerProcess } from './servers.ts';

// `npm run bench [-- --quick] [-- --duration 10 --repeat 3 --memory 60 --store mariadb --profile]`
// `npm run bench -- --processing` adds issue 10's section (bench/processing.ts); `--processing-only` runs it alone.
// The service (MariaDB store unless --store sqlite) and the two references each run in their own
// process; every scenario gets a load-generator process of its own. Printed, never asserted.
// Everything talks to 127.0.0.1 only, plus the MariaDB server where one database is created and dropped.

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    repeat: { type: 'string' },
    memory: { type: 'string' },
    store: { type: 'string', default: 'mariadb' },
    servers: { type: 'string', default: 'ours,medplum,floor' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    // 1 = frames of a connection handled one at a time, as before pipelining (for comparison).
    'max-in-flight': { type: 'string' },
    'no-hot-path': { type: 'boolean', default: false },
    'hot-path-only': { type: 'boolean', default: false },
    // Issue 10's section (bench/processing.ts): after the ingest scenarios, or alone.
    processing: { type: 'boolean', default: false },
    'processing-only': { type: 'boolean', default: false },
    patients: { type: 'string', default: '1000' },
    'lag-rate': { type: 'string', default: '2000' },
    // Events stored for each drain row: ADT,ORU (0: what --duration stores).
    backlog: { type: 'string', default: '60000,8000' },
    'drain-only': { type: 'boolean', default: false },
    modes: { type: 'string', default: 'sequential,per-patient,per-sender,parallel' },
    sinks: { type: 'string', default: 'noop,amqp' },
  },
});

const quick = flags.quick === true;
const seconds = (value: string | undefined, fallback: number): number => (value === undefined ? fallback : Number(value));
// Flags win; HL7_BENCH_DURATION / _WARMUP / _MEMORY (seconds) and _REPEAT also set them.
const env = process.env;
const timing: Timing = {
  warmUpMs: seconds(flags.warmup ?? env.HL7_BENCH_WARMUP, quick ? 1 : 2) * 1000,
  durationMs: seconds(flags.duration ?? env.HL7_BENCH_DURATION, quick ? 2 : 10) * 1000,
  ackTimeoutMs: 10_000,
};
const memorySeconds = seconds(flags.memory ?? env.HL7_BENCH_MEMORY, quick ? 10 : 60);
const repeats = Math.max(1, Number(flags.repeat ?? env.HL7_BENCH_REPEAT ?? 1));
const maxInFlight = flags['max-in-flight'] === undefined ? undefined : Number(flags['max-in-flight']);
const servers = (flags.servers ?? '').split(',').filter((s): s is ServerName => s === 'ours' || s === 'medplum' || s === 'floor');

const allScenarios: Scenario[] = (['ADT', 'ORU'] as const).flatMap((kind) => [
  { kind, conns: 1, depth: 1 },
  { kind, conns: 8, depth: 1 },
  { kind, conns: 32, depth: 1 },
  { kind, conns: 8, depth: 8 },
]);
const scenarios = flags.only === undefined ? allScenarios : allScenarios.filter((s) => scenarioLabel(s).includes(flags.only ?? ''));

const out = (line = ''): boolean => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const cpu = cpus();
  out(`machine: ${cpu.length} cores, ${cpu[0]?.model ?? 'unknown CPU'}, ${process.platform}/${process.arch}, node ${process.version}`);
  out(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine skews every figure)`);
  if (!flags['no-hot-path'] && flags['processing-only'] !== true) {
    out('\nhot path, in process, no I/O:');
    hotPathRows(quick ? 1_000 : 4_000).forEach((row) => out(formatRow(row)));
    (await hotIngestRows(quick ? 1_000 : 4_000)).forEach((row) => out(formatRow(row)));
  }
  if (flags['hot-path-only']) return;
  const db: BenchDb = flags.store === 'sqlite' ? createSqliteBenchDb() : await createMariaDbBenchDb();
  const started: ServerProcess[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
    await db.drop();
  };
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  try {
    out(`store: ${await db.settings()}`);
    if (flags['processing-only'] === true) return await processingSection(db);
    const profileDir = flags.profile ? mkdtempSync(join(tmpdir(), 'hl7-bench-profile-')) : undefined;
    for (const name of servers) {
      // Ingest alone: processing off (its own section measures it on).
      const processing = { enabled: false };
      started.push(name === 'ours' ? await startOurService(db.config, { cpuProfileDir: profileDir, maxInFlightPerConnection: maxInFlight, processing }) : await startReference(name));
    }
    out(`each scenario: ${timing.warmUpMs / 1000} s warm-up, then ${timing.durationMs / 1000} s measured, ${repeats} time(s); ` +
      'stop-and-wait = one message outstanding per connection; every stored ACK is a durable commit');
    const results = await runAll(started, db);
    out();
    resultTable(servers, scenarios, summarize(results)).forEach((line) => out(line));
    out('\nratios (msg/s, same run):');
    ratioTable(scenarios, summarize(results)).forEach((line) => out(line));
    out('\ntargets (issue 3):');
    targetLines(checkTargets(summarize(results))).forEach((line) => out(line));
    const ours = started.find((s) => s.name === 'ours');
    if (ours !== undefined && memorySeconds > 0) {
      await db.empty();
      out();
      const memory = await runMemory(ours, { kind: 'ADT', conns: 8, depth: 8 }, memorySeconds, quick ? 1 : 5, 'MEM');
      memoryLines(memory).forEach((line) => out(line));
    }
    if (flags.processing === true) {
      await Promise.all(started.splice(0).map((s) => s.stop()));
      await processingSection(db);
    }
    if (profileDir !== undefined) {
      out(`\nCPU profile of the service (written when it stops): ${profileDir}`);
      out(`read it with: node --import tsx bench/profile-summary.ts ${profileDir}/<largest file>.cpuprofile`);
    }
  } finally {
    await stopAll();
  }
}

function backlogOf(value: string): { ADT: number; ORU: number } {
  const [adt = 0, oru = adt] = value.split(',').map(Number);
  if (!Number.isInteger(adt) || !Number.isInteger(oru) || adt < 0 || oru < 0) throw new Error(`--backlog ${value}: two whole numbers, ADT,ORU`);
  return { ADT: adt, ORU: oru };
}

function processingSection(db: BenchDb): Promise<void> {
  const list = (value: string | undefined): string[] => (value ?? '').split(',').filter((v) => v !== '');
  return runProcessingBench(db, {
    timing: { ...timing, warmUpMs: 0 },
    patients: Number(flags.patients),
    lagRate: Number(flags['lag-rate']),
    backlog: backlogOf(flags.backlog),
    modes: list(flags.modes),
    sinks: list(flags.sinks),
    drainOnly: flags['drain-only'] === true,
    // The ingest ratio: alone and with processing, alternated, at least 3 pairs (single runs of the
    // same build differed by up to 1.7x on the 2-vCPU VM).
    ingestPairs: Math.max(3, repeats),
    amqpUrl: process.env.HL7_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    out,
  });
}

async function runAll(started: ServerProcess[], db: BenchDb): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const [i, scenario] of scenarios.entries()) {
      // Scenario-major: the servers are measured back to back, so a noisy minute hits all of them.
      for (const server of started) {
        // Hl7Server concatenates the chunks of one read into ONE message (it waits for a chunk that
        // ends in 0x1C 0x0D): frames sent back to back get one merged ACK. Not a pipelining peer.
        if (server.name === 'medplum' && scenario.depth > 1) continue;
        if (server.name === 'ours') await db.empty();
        const result = await runScenario(server, scenario, timing, `R${r}S${String(i).padStart(2, '0')}`);
        results.push(result);
        const rate = result.report === null ? '-' : Math.round(result.report.answered / (result.report.windowMs / 1000));
        process.stderr.write(`  ${scenarioLabel(scenario)} / ${server.name}: ${rate}/s${result.failure ? ` (${result.failure})` : ''}\n`);
        // The server's last words, when a scenario failed: a crash is otherwise only ECONNREFUSED.
        if (result.failure !== null) process.stderr.write(`${server.output().slice(-3_000)}\n`);
      }
    }
  }
  return results;
}

const startedAt = Date.now();
main().then(
  () => out(`\ndone in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
