import { afterAll, describe, expect, it } from 'vitest';
import type { Sink } from '../../src/processing/sink.ts';
import { startTestApp } from '../support/app-harness.ts';
import { createTestDatabase, mariaDbReachable, type TestDatabase } from '../support/mariadb.ts';
import { connectClient } from '../support/mllp-test-bed.ts';
import { buildMessage } from '../support/messages.ts';
import { allFinal, createRecordingSink, processingRows, waitUntil } from '../support/processing.ts';

// The engine inside the service: parallel mode, processing switched off, and a close with work in flight.

const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const db of databases) await db.drop();
});

async function send(port: number, count: number, connections: number, prefix: string): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = await connectClient(port);
      for (let i = next++; i < count; i = next++) {
        client.send(buildMessage({ controlId: `${prefix}${i}`, patientId: `PAT-${i % 7}` }));
        expect(await client.nextReply()).toContain('MSA|AA');
      }
      client.socket.end();
    }),
  );
}

const engines = [
  { name: 'SQLite', db: async () => 'sqlite' as const },
  {
    name: 'MariaDB',
    db: async () => {
      const db = (await createTestDatabase('proc_app'))!;
      databases.push(db);
      return db.config;
    },
  },
];

for (const engine of engines) {
  describe.skipIf(engine.name === 'MariaDB' && !mariaDbReachable)(`processing in the service on ${engine.name}`, () => {
    it('parallel: every event delivered once and processed', async () => {
      const sink = createRecordingSink('noop');
      const t = await startTestApp(await engine.db(), { processing: { ordering: 'parallel', concurrency: 4, batchSize: 25, routes: [{ sinks: ['noop'] }] } }, { sinkFactories: { noop: () => sink } });
      try {
        await send(t.port, 400, 8, 'PAR');
        await sink.waitForIds(400);
        await waitUntil(() => allFinal(t.app.store!), 20_000, 'all final');
        expect(sink.seen).toHaveLength(400);
        expect((await processingRows(t.app.store!)).every((r) => r.state === 'processed' && r.attempts === 1)).toBe(true);
      } finally {
        await t.close();
      }
    });

    it('processing.enabled false: no engine, and stored events wait as received in their lane', async () => {
      const t = await startTestApp(await engine.db(), { processing: { enabled: false } });
      try {
        expect(t.app.processing).toBeNull();
        await send(t.port, 5, 1, 'OFF');
        const rows = await processingRows(t.app.store!);
        expect(rows.filter((r) => r.state === 'received' && r.orderingKey?.startsWith('p:'))).toHaveLength(rows.length);
        expect(rows.length).toBeGreaterThanOrEqual(5);
      } finally {
        await t.close();
      }
    });
  });
}

describe('close with processing in flight', () => {
  it('stops claiming and gives work that outlives mllp.drainTimeoutMs back, untouched', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered: () => void = () => undefined;
    const inSink = new Promise<void>((resolve) => (entered = resolve));
    const stuck: Sink = {
      name: 'log',
      deliver: async (events) => {
        entered();
        await gate;
        return events.map(() => ({ ok: true }));
      },
    };
    const t = await startTestApp('sqlite', { mllp: { drainTimeoutMs: 200 }, processing: { routes: [{ sinks: ['log'] }] } }, { sinkFactories: { log: () => stuck } });
    const store = t.app.store!;
    let closed = false;
    try {
      await send(t.port, 3, 1, 'CLOSE');
      await inSink;
      const closing = t.app.close().then(() => (closed = true));
      // The drain timeout passes while the sink still holds the events: close() ends anyway.
      await closing;
      expect(closed).toBe(true);
      const rows = await processingRowsAfterClose(store);
      expect(rows.every((r) => r.state === 'received' && (r.attempts ?? 0) === 0)).toBe(true);
    } finally {
      release();
      await t.close();
    }
  });
});

/** The store is closed with the app: read the SQLite file again. */
async function processingRowsAfterClose(store: NonNullable<Awaited<ReturnType<typeof startTestApp>>['app']['store']>) {
  const { createStore } = await import('../../src/store/create-store.ts');
  const handle = store.handle!;
  const again = await createStore(handle.config);
  try {
    return await processingRows(again);
  } finally {
    await again.close();
  }
}
