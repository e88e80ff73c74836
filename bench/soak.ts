import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { dbSchema, type DbConfig } from '../src/config/schema.ts';
import { within } from '../test/support/fault-load.ts';
import { startService, writeConfigDir, type ServiceProcess } from '../test/support/service-process.ts';
import { startSoakLoad, type SoakStats } from './soak-load.ts';

// `npm run soak`: the real service (src/main.ts, its own process) under mixed MLLP load for
// SOAK_SECONDS (default 600). Every 10 s one line: throughput, ACK latency, the service's RSS and
// CPU (from /proc). At the end a verdict: ACK codes, unanswered frames, stored rows against AAs,
// RSS growth from minute 1 to the end. Not part of `npm test`.
//
//   npm run soak                      MariaDB (HL7_TEST_DB_URL), in a database created and dropped here
//   npm run soak -- --sqlite          the embedded store, in a temporary directory
//   SOAK_SECONDS=60 SOAK_RATE=0 npm run soak      one minute, as fast as the answers come
//
// SOAK_RATE (default 300) caps messages per second over all connections: a soak looks for drift
// over time, not for the top speed (`npm run bench` does that).

const seconds = Number(process.env.SOAK_SECONDS ?? 600);
const rate = Number(process.env.SOAK_RATE ?? 300);
const useSqlite = process.argv.includes('--sqlite') || process.env.SOAK_DB === 'sqlite';
const sampleMs = 10_000;
const out = (line: string): boolean => process.stdout.write(`${line}\n`);

type Store = { db: DbConfig; yaml: string[]; countReceived(prefix: string): Promise<number>; cleanup(): Promise<void> };

async function mariaDbStore(): Promise<Store> {
  const { createTestDatabase, testDbUrl } = await import('../test/support/mariadb.ts');
  const database = await createTestDatabase('soak');
  if (database === null) throw new Error(`MariaDB not reachable at ${new URL(testDbUrl).host}: start it, or run with --sqlite`);
  const db = database.config;
  const yaml = ['  driver: mariadb', `  host: ${db.host}`, `  port: ${db.port}`, `  user: ${db.user}`, `  password: "${db.password}"`, `  database: ${db.database}`];
  return {
    db,
    yaml,
    async countReceived(prefix) {
      const conn = await createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, database: db.database });
      try {
        const sql = "SELECT COUNT(*) AS n FROM hl7_message WHERE status = 'received' AND control_id LIKE ?";
        const [rows] = await conn.query<RowDataPacket[]>(sql, [`${prefix}%`]);
        return Number(rows[0]?.n);
      } finally {
        await conn.end();
      }
    },
    cleanup: () => database.drop(),
  };
}

function sqliteStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-soak-'));
  const file = join(dir, 'soak.sqlite');
  return {
    db: dbSchema.parse({ driver: 'sqlite', file }),
    yaml: ['  driver: sqlite', `  file: "${file}"`],
    async countReceived(prefix) {
      const db = new Database(file, { readonly: true });
      try {
        const row = db.prepare("SELECT COUNT(*) AS n FROM hl7_message WHERE status = 'received' AND control_id LIKE ?").get(`${prefix}%`);
        return Number((row as { n: number } | undefined)?.n);
      } finally {
        db.close();
      }
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** RSS (MB) and CPU time (s) of a process, from /proc. */
function usage(pid: number): { rssMb: number; cpuS: number } {
  const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  // Fields after the command name, which may itself contain spaces: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  return { rssMb: rssKb / 1024, cpuS: ticks / clockTicks };
}

type Sample = { at: number; rssMb: number };

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
}

function sampleLine(stats: SoakStats, elapsedS: number, intervalS: number, answeredBefore: number, rssMb: number, cpuPct: number): string {
  const sorted = stats.latencies.splice(0).sort((a, b) => a - b);
  const ms = (p: number): string => (sorted.length === 0 ? '-' : `${percentile(sorted, p).toFixed(1)} ms`);
  return [
    `${elapsedS.toFixed(0).padStart(4)} s`,
    `${Math.round((stats.answered - answeredBefore) / intervalS)} msg/s`.padStart(11),
    `p50 ${ms(50)}`.padEnd(14),
    `p99 ${ms(99)}`.padEnd(15),
    `rss ${rssMb.toFixed(1)} MB`.padEnd(14),
    `cpu ${cpuPct.toFixed(0)} %`.padEnd(9),
    `conns opened ${stats.connectionsOpened}`,
    stats.unanswered > 0 ? `UNANSWERED ${stats.unanswered}` : '',
  ].join('  ').trimEnd();
}

async function soak(store: Store, service: ServiceProcess): Promise<string[]> {
  const pid = service.child.pid ?? 0;
  const prefix = `SK${randomBytes(2).toString('hex')}-`;
  const load = startSoakLoad({ port: service.port, prefix, stopAndWait: 6, pipelineDepth: 8, rate, answerTimeoutMs: 30_000 });
  const started = performance.now();
  const samples: Sample[] = [];
  let last = { at: started, answered: 0, cpuS: usage(pid).cpuS };
  for (let left = seconds * 1000; left > 50; left = started + seconds * 1000 - performance.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(sampleMs, left)));
    const now = performance.now();
    const { rssMb, cpuS } = usage(pid);
    const intervalS = (now - last.at) / 1000;
    out(sampleLine(load.stats, (now - started) / 1000, intervalS, last.answered, rssMb, ((cpuS - last.cpuS) / intervalS) * 100));
    samples.push({ at: (now - started) / 1000, rssMb });
    last = { at: now, answered: load.stats.answered, cpuS };
  }
  await load.stop();
  return verdict(load.stats, samples, await store.countReceived(prefix));
}

/** Prints the totals; returns the reasons for failing (empty: pass). */
function verdict(stats: SoakStats, samples: Sample[], storedRows: number): string[] {
  const failures: string[] = [];
  out('');
  out(`ACK codes: ${[...stats.codes].map(([code, n]) => `${code || '(none)'} ${n}`).join(', ')}  (sent ${stats.sent}, answered ${stats.answered})`);
  if (stats.unexpected.size > 0) failures.push(`unexpected answers: ${[...stats.unexpected].map(([k, n]) => `${k} x${n}`).join(', ')}`);
  out(`unanswered frames: ${stats.unanswered}`);
  if (stats.unanswered > 0) failures.push(`${stats.unanswered} frames without an answer`);
  out(`stored accepted rows: ${storedRows}; distinct messages answered AA: ${stats.acceptedIds.size}`);
  if (storedRows !== stats.acceptedIds.size) failures.push('stored rows differ from the messages answered AA');
  const end = samples[samples.length - 1];
  // Minute 1, once start-up and warm-up are over; the first sample when the run is shorter.
  const first = samples.find((s) => s.at >= 60 && s !== end) ?? samples[0];
  if (first && end) {
    const growth = end.rssMb - first.rssMb;
    out(`service RSS: ${first.rssMb.toFixed(1)} MB at ${first.at.toFixed(0)} s → ${end.rssMb.toFixed(1)} MB at ${end.at.toFixed(0)} s (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MB, ${((growth / first.rssMb) * 100).toFixed(1)} %)`);
  }
  return failures;
}

async function main(): Promise<number> {
  const store = useSqlite ? sqliteStore() : await mariaDbStore();
  const yaml = ['mllp:', '  host: 127.0.0.1', '  port: 0', 'https:', '  enabled: false', 'db:', ...store.yaml, 'log:', '  level: info', ''];
  const configDir = writeConfigDir(yaml.join('\n'));
  out(`soak: ${seconds} s, ${rate > 0 ? `${rate} msg/s cap` : 'no rate cap'}, ${useSqlite ? 'sqlite' : `mariadb ${store.db.host}:${store.db.port}/${store.db.database}`}; ` +
    '6 stop-and-wait connections (reopened every 50-500 messages), 1 pipelining 8 frames, 4 one-message connections/s; ' +
    '3 % exact resends, 1 % without PID (AE), 1 % unknown type (AR)');
  let failures: string[] = [];
  let service: ServiceProcess | undefined;
  try {
    service = await within(startService(configDir), 60_000, 'service start-up');
    out(`service pid ${service.child.pid}, MLLP port ${service.port}`);
    failures = await soak(store, service);
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    out(`service stopped: exit code ${exit.code}`);
    if (exit.code !== 0) failures.push(`service exit code ${exit.code}`);
  } finally {
    if (service?.child.exitCode === null) service.child.kill('SIGKILL');
    await store.cleanup();
    rmSync(configDir, { recursive: true, force: true });
  }
  out(failures.length === 0 ? 'VERDICT: PASS' : `VERDICT: FAIL\n  ${failures.join('\n  ')}`);
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
