import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { mapMessage } from '../src/fhir/map/index.ts';
import { createFhirStore } from '../src/fhir/store/fhir-store.ts';
import { createFhirSink } from '../src/processing/sinks/fhir.ts';
import type { SinkEvent } from '../src/processing/sink.ts';
import { createStore } from '../src/store/create-store.ts';
import { createMariaDbBenchDb, createSqliteBenchDb } from './bench-db.ts';
import { frameTemplate, frameWithId } from './frames.ts';
import { cpuSeconds, findProcess } from './proc-stats.ts';
import type { MessageKind } from './fixtures.ts';

// The FHIR sink alone (issue 11), no processing engine, no MLLP: N stored-event look-alikes of one
// kind over P patients, handed to the sink in batches of B events with C batches in flight at once
// (each worker its own patients, as per-patient lanes are). Two passes: "first" (every resource
// new) and "again" (the same events once more: every write unchanged), as the bench's backlog holds
// a few events per patient. For profiling: `node --cpu-prof --import tsx bench/fhir-apply.ts`.
//   FHIR_APPLY_KIND=ORU|ADT  FHIR_APPLY_EVENTS=2000  FHIR_APPLY_PATIENTS=1000  FHIR_APPLY_BATCH=100
//   FHIR_APPLY_WORKERS=8  FHIR_APPLY_STORE=mariadb|sqlite

const kind = (process.env.FHIR_APPLY_KIND ?? 'ORU') as MessageKind;
const events = Number(process.env.FHIR_APPLY_EVENTS ?? (kind === 'ORU' ? 2000 : 10000));
const patients = Number(process.env.FHIR_APPLY_PATIENTS ?? 1000);
const batch = Number(process.env.FHIR_APPLY_BATCH ?? 100);
const workers = Number(process.env.FHIR_APPLY_WORKERS ?? 8);
const engine = process.env.FHIR_APPLY_STORE ?? 'mariadb';

function eventsOf(from: number): SinkEvent[] {
  const template = frameTemplate(kind);
  return Array.from({ length: events }, (_, i) => {
    const frame = frameWithId(template, `FA${String(from + i).padStart(18, '0')}`, i % patients);
    return {
      id: from + i + 1,
      receivedAt: new Date(),
      controlId: null,
      messageType: kind,
      triggerEvent: kind === 'ADT' ? 'A01' : 'R01',
      version: '2.5',
      sendingApplication: null,
      sendingFacility: null,
      orderingKey: `p${i % patients}`,
      charset: null,
      raw: frame.subarray(1, frame.length - 2),
      upstream: new Map(),
    };
  });
}

async function main(): Promise<void> {
  const db = engine === 'sqlite' ? createSqliteBenchDb() : await createMariaDbBenchDb();
  const store = await createStore(db.config);
  try {
    if (store.handle === undefined) throw new Error('no store handle');
    const fhirStore = createFhirStore(store.handle);
    const sink = createFhirSink({ fhirStore, map: mapMessage, options: { defaultTimeZone: 'Europe/London', identifierSystems: {} }, log: pino({ level: 'silent' }) });
    for (const pass of ['first', 'again', 'again']) {
      const all = eventsOf(0);
      // Worker w takes the patients p with p % workers === w, in batches of `batch` events.
      const perWorker = Array.from({ length: workers }, (_, w) => all.filter((_e, i) => (i % patients) % workers === w));
      const started = performance.now();
      const cpu0 = process.cpuUsage();
      const mariadbd = engine === 'mariadb' ? findProcess(['mariadbd']) : null;
      const db0 = cpuSeconds(mariadbd);
      let failed = 0;
      let firstError = '';
      await Promise.all(
        perWorker.map(async (mine) => {
          for (let i = 0; i < mine.length; i += batch) {
            const results = await sink.deliver(mine.slice(i, i + batch));
            for (const r of results) {
              if (r.ok) continue;
              failed += 1;
              firstError ||= r.error;
            }
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const db1 = cpuSeconds(mariadbd);
      const cpuNote = `; CPU s: this process ${((cpu.user + cpu.system) / 1e6).toFixed(1)}${Number.isFinite(db1 - db0) ? `, mariadbd ${(db1 - db0).toFixed(1)}` : ''}`;
      process.stdout.write(`${engine} ${kind} ${pass}: ${events} events in ${seconds.toFixed(2)} s = ${Math.round(events / seconds)} events/s (batch ${batch}, ${workers} workers${failed > 0 ? `, ${failed} failed: ${firstError}` : ''}${cpuNote})\n`);
    }
  } finally {
    await store.close();
    await db.drop();
  }
}

await main();
