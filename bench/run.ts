import { cpus } from 'node:os';
import { mariaDbEngine, sqliteEngine, engineRows, type Plan } from './e2e.ts';
import { hotPathRows } from './hot-path.ts';
import { formatRow, type Row } from './report.ts';

// `npm run bench`: ingest throughput and latency, printed (a benchmark, not a test: nothing is
// asserted). Everything is bounded by counts and time caps; it only talks to 127.0.0.1 (and to the
// MariaDB server named by HL7_TEST_DB_URL, where it creates and drops one database).

const plan: Plan = {
  counts: { ADT: 2_000, ORU: 1_000 },
  conns: [1, 8, 32],
  maxRunMs: 8_000,
  warmUp: 200,
};

const out = (line: string): boolean => process.stdout.write(`${line}\n`);
const printRow = (row: Row): boolean => out(formatRow(row));

async function main(): Promise<void> {
  const cpu = cpus();
  out(`node ${process.version}, ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${process.platform}/${process.arch}`);
  out(`e2e: ${plan.counts.ADT} ADT / ${plan.counts.ORU} ORU per run, one message in flight per connection, ` +
    `each run capped at ${plan.maxRunMs / 1000} s;`);
  out('     latency = frame written to ACK read; sender and service share this one process (and its cores)');
  out('');
  hotPathRows().forEach(printRow);
  out('(figures quoted in the issue: split 260000 ADT/s, 27000 ORU/s; node-hl7-client 7000 ADT/s, 600 ORU/s)');

  await engineRows(sqliteEngine(), plan, printRow);
  const mariadb = await mariaDbEngine();
  if (typeof mariadb === 'string') out(`mllp e2e     mariadb  rows skipped (${mariadb})`);
  else await engineRows(mariadb, plan, printRow);
}

const started = Date.now();
main().then(
  () => out(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
