import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { ingestOptionsFor } from '../src/app.ts';
import { configSchema } from '../src/config/schema.ts';
import { createControlIdGenerator } from '../src/ingest/control-id.ts';
import { createIngest } from '../src/ingest/ingest.ts';
import { createIngestCounters } from '../src/ingest/counters.ts';
import type { Ingest } from '../src/ingest/deps.ts';
import type { Store } from '../src/store/store.ts';
import { kindLabel, messages, type MessageKind } from './fixtures.ts';
import type { Row } from './report.ts';

// The whole ingest step in process, with a store that commits nothing (resolves at once): parse,
// validate, hash, dedup key, ACK, outcome. What the service spends per message besides the
// database and the sockets. Each message has its own MSH-10, as on the wire.

const nullStore: Store = {
  ping: async () => undefined,
  insertMessage: async () => ({ inserted: true, id: 1 }),
  insertMessages: async (rows) => rows.map(() => ({ inserted: true as const, id: 1 })),
  getMessage: async () => null,
  deleteExpired: async () => 0,
  listMessages: async () => [],
  countMessages: async () => 0,
  close: async () => undefined,
};

function createBenchIngest(): Ingest {
  const config = configSchema.parse({ https: { enabled: false } });
  return createIngest({
    store: nullStore,
    counters: createIngestCounters(),
    log: pino({ level: 'warn' }),
    clock: () => new Date(),
    newControlId: createControlIdGenerator(),
    options: ingestOptionsFor(config),
  });
}

export async function hotIngestRows(timeCapMs: number, kinds: readonly MessageKind[] = ['ADT', 'ORU']): Promise<Row[]> {
  const rows: Row[] = [];
  for (const kind of kinds) rows.push(await measure(kind, timeCapMs));
  return rows;
}

async function measure(kind: MessageKind, timeCapMs: number): Promise<Row> {
  const ingest = createBenchIngest();
  const batch = messages(kind, 'ING-', 1_000);
  const source = { transport: 'mllp' as const, remoteAddress: '127.0.0.1', connectionId: 1 };
  let bad = 0;
  const once = async (i: number): Promise<void> => {
    const outcome = await ingest({ kind: 'message', bytes: batch[i % batch.length] as Buffer }, source);
    if (outcome.ackCode !== 'AA') bad++;
  };
  for (let i = 0; i < 2_000; i++) await once(i); // JIT warm-up
  let done = 0;
  const start = performance.now();
  const deadline = start + timeCapMs;
  while (performance.now() < deadline) {
    for (let j = 0; j < 64; j++) await once(done++);
  }
  const elapsedMs = performance.now() - start;
  return {
    kind: 'ingest',
    engine: 'null',
    message: kindLabel[kind],
    conns: null,
    count: done,
    elapsedMs,
    bytes: done * (batch[0]?.length ?? 0),
    latenciesMs: null,
    note: bad > 0 ? `${bad} not AA` : 'parse+validate+hash+ACK, null store',
  };
}
