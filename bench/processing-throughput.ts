// Processing throughput per ordering mode with the noop sink, on a stored backlog (no ingest):
// `tsx bench/processing-throughput.ts` against the test MariaDB (EVENTS, PATIENTS to change the size).
// Not part of `npm run bench` yet; the figures with ingest and the amqp sink belong there.
import pino from 'pino';
import { processingSchema } from '../src/config/schema.ts';
import { createStepRunner } from '../src/processing/claim-store.ts';
import { ProcessingEngine } from '../src/processing/engine.ts';
import { createNoopSink } from '../src/processing/sinks/log.ts';
import { createMariaDbStore } from '../src/store/mariadb.ts';
import { createTestDatabase } from '../test/support/mariadb.ts';
import { connectTo } from '../test/support/schema-probes.ts';

const events = Number(process.env.EVENTS ?? 20_000);
const patients = Number(process.env.PATIENTS ?? 1_000);
for (const ordering of ['per-patient', 'parallel', 'sequential', 'per-sender'] as const) {
  const db = (await createTestDatabase('proc_tp'))!;
  try {
    const store = await createMariaDbStore(db.config);
    const conn = await connectTo(db.config);
    const key = ordering === 'sequential' ? `'sequential'` : ordering === 'per-sender' ? `CONCAT('s:', seq % 10)` : `CONCAT('p:', seq % ${patients})`;
    await conn.query(
      `INSERT INTO hl7_message (transport, received_at, raw, content_hash, status, processing_state, ordering_key, patient_id, sending_application)` +
        ` SELECT 'mllp', UTC_TIMESTAMP(3), REPEAT('x', 1200), REPEAT('0', 64), 'received', 'received', ${key}, NULL, NULL FROM seq_1_to_${events}`,
    );
    // Keyed as the engine would key them: no re-keying at start.
    await conn.query(`INSERT INTO processing_setting (name, value) VALUES ('ordering', ?)`, [ordering === 'parallel' ? 'per-patient' : ordering]);
    const config = processingSchema.parse({ ordering, concurrency: 8, batchSize: 100, routes: [{ sinks: ['noop'] }] });
    const engine = new ProcessingEngine({ config, runner: createStepRunner(store.handle!, 10), sinks: new Map([['noop', createNoopSink()]]), log: pino({ level: 'silent' }), drainTimeoutMs: 5_000 });
    const started = performance.now();
    await engine.start();
    for (;;) {
      const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM hl7_message WHERE processing_state <> 'processed'`);
      if (Number((rows as { n: number }[])[0]?.n) === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const seconds = (performance.now() - started) / 1000;
    await engine.close();
    await conn.end();
    await store.close();
    console.log(JSON.stringify({ ordering, events, eventsPerSecond: Math.round(events / seconds) }));
  } finally {
    await db.drop();
  }
}
