import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.ts';
import { configSchema, type DbConfig } from '../src/config/schema.ts';
import { createLogger } from '../src/log.ts';
import { kindLabel, messages, type MessageKind } from './fixtures.ts';
import { deal, runLoad, type LoadResult } from './mllp-load.ts';
import type { Row } from './report.ts';

// End to end over MLLP on 127.0.0.1: the service built by createApp (as in production), one fresh
// store per engine, then every (message kind, connection count) pair against it.

export type Engine = { name: string; db: DbConfig; cleanup(): Promise<void> };

export type Plan = { counts: Record<MessageKind, number>; conns: number[]; maxRunMs: number; warmUp: number };

export function sqliteEngine(): Engine {
  const dir = mkdtempSync(join(tmpdir(), 'hl7-bench-'));
  const db = configSchema.parse({ db: { driver: 'sqlite', file: join(dir, 'bench.sqlite') } }).db;
  return { name: 'sqlite', db, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh MariaDB database via the test support module; a reason string when there is none. */
export async function mariaDbEngine(): Promise<Engine | string> {
  try {
    // Imported here, not at the top: it probes the server when loaded and may throw by design
    // (HL7_TEST_REQUIRE_MARIADB=1); the SQLite rows must still be measured then.
    const { createTestDatabase, testDbUrl } = await import('../test/support/mariadb.ts');
    const database = await createTestDatabase('bench');
    if (database === null) return `not reachable at ${new URL(testDbUrl).host}`;
    return { name: 'mariadb', db: database.config, cleanup: () => database.drop() };
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function startService(db: DbConfig): Promise<{ port: number; close(): Promise<void> }> {
  const config = configSchema.parse({
    mllp: { host: '127.0.0.1', port: 0 },
    https: { enabled: false },
    db,
    // Per-message logging would be measured too; warnings and errors still show, on stderr.
    log: { level: 'warn' },
  });
  const app = createApp(config, createLogger(config.log, process.stderr));
  const bound = await app.start();
  const port = bound.mllp?.port;
  if (port === undefined) {
    await app.close();
    throw new Error('MLLP did not bind');
  }
  return { port, close: () => app.close() };
}

function toRow(engine: string, kind: MessageKind, conns: number, result: LoadResult): Row {
  const notes: string[] = [];
  const bad = [...result.notAa.values()].reduce((a, b) => a + b, 0);
  if (bad > 0) {
    const detail = [...result.notAa].map(([code, n]) => `${code}x${n}`).join(' ');
    notes.push(`INVALID RUN: ${bad} non-AA (${detail})`);
  }
  if (result.capped) notes.push('time cap reached');
  return {
    kind: 'mllp e2e',
    engine,
    message: kindLabel[kind],
    conns,
    count: result.count,
    elapsedMs: result.elapsedMs,
    bytes: result.bytes,
    latenciesMs: result.latenciesMs,
    note: notes.join('; '),
  };
}

/** Runs the plan against one engine; the store is emptied by the engine's cleanup afterwards. */
export async function engineRows(engine: Engine, plan: Plan, onRow: (row: Row) => void): Promise<void> {
  const service = await startService(engine.db);
  try {
    // Not reported: lets V8 compile the path and the store warm its caches.
    await runLoad(service.port, deal(messages('ADT', 'WARM-', plan.warmUp), 4), plan.maxRunMs);
    let run = 0;
    for (const kind of ['ADT', 'ORU'] as const) {
      for (const conns of plan.conns) {
        // A distinct MSH-10 prefix per run: no message is ever a retransmission of another.
        const batch = messages(kind, `RUN${run++}-`, plan.counts[kind]);
        const result = await runLoad(service.port, deal(batch, conns), plan.maxRunMs);
        onRow(toRow(engine.name, kind, conns, result));
      }
    }
  } finally {
    await service.close();
    await engine.cleanup();
  }
}
