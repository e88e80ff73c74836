import { afterAll, expect, it } from 'vitest';
import { orderingKeyFor } from '../../src/processing/ordering-key.ts';
import type { RowDataPacket } from 'mysql2/promise';
import { createStore } from '../../src/store/create-store.ts';
import type { Store, StoreHandle } from '../../src/store/store.ts';
import { createTestDatabase, describeMariaDb, type TestDatabase } from '../support/mariadb.ts';
import { allFinal, processingRows, waitUntil } from '../support/processing.ts';
import { newRow } from '../support/rows.ts';
import { startService, waitForLog, writeConfigDir, type ServiceProcess } from '../support/service-process.ts';

// Three service processes (the real entry point) share one MariaDB's backlog with no coordinator;
// one is killed with SIGKILL while it works. Its claims are taken over after the lease: every event is
// processed, each lane's events finish in id order, and only events the dead process had in flight
// reach the sink twice (at-least-once; each survivor delivers an event at most once).

const patients = 600;
const perPatient = 10;
const total = patients * perPatient;
const databases: TestDatabase[] = [];
const services: ServiceProcess[] = [];
afterAll(async () => {
  for (const s of services) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  await Promise.all(services.map((s) => s.exited));
  for (const db of databases) await db.drop();
});

/** The ids a process's log sink delivered ("would deliver" lines), in its order. */
function deliveredIds(service: ServiceProcess): number[] {
  return service
    .stdout()
    .split('\n')
    .filter((line) => line.includes('"msg":"would deliver"'))
    .map((line) => Number((JSON.parse(line) as { id: number }).id));
}

/** Lanes claimed by the process with this pid (a lane row holds its claim's token, which holds the instance id). */
async function claimsHeldBy(store: Store, pid: number): Promise<number> {
  const handle = store.handle as Extract<StoreHandle, { engine: 'mariadb' }>;
  const [rows] = await handle.pool.withConnection((conn) =>
    conn.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM processing_lane WHERE owner LIKE ?', [`%-${pid}-%`]),
  );
  return Number(rows[0]?.n ?? 0);
}

describeMariaDb('processing across three instances on one MariaDB', () => {
  it('a kill -9 mid-batch: every event processed, order kept per lane, only the dead one’s in-flight events delivered twice', async () => {
    const db = (await createTestDatabase('proc_instances'))!;
    databases.push(db);
    const store = await createStore(db.config);
    try {
      // The backlog is stored first, interleaved across patients, so all three start with work.
      const rows = [];
      for (let n = 0; n < perPatient; n += 1) {
        for (let p = 0; p < patients; p += 1) {
          const row = newRow({ controlId: `K${n}-${p}`, dedupKey: `k-${n}-${p}`, patientId: `PAT-${p}`, patientAuthority: null, processingState: 'received' });
          rows.push({ ...row, orderingKey: orderingKeyFor('per-patient', row) });
        }
      }
      for (let i = 0; i < rows.length; i += 500) await store.insertMessages(rows.slice(i, i + 500));
      const c = db.config;
      const yaml = [
        'mllp: { host: 127.0.0.1, port: 0 }',
        'https: { enabled: false }',
        `db: { driver: mariadb, host: "${c.host}", port: ${c.port}, user: "${c.user}", password: "${c.password}", database: "${c.database}" }`,
        'processing:',
        '  ordering: per-patient',
        '  concurrency: 4',
        '  batchSize: 20',
        '  leaseMs: 1000',
        '  pollIntervalMs: 50',
        '  routes: [{ match: {}, sinks: [log] }]',
      ].join('\n');
      const dir = writeConfigDir(`${yaml}\n`);
      services.push(...(await Promise.all([0, 1, 2].map(() => startService(dir)))));
      const [victim, ...survivors] = services as [ServiceProcess, ServiceProcess, ServiceProcess];
      await waitForLog(victim, /"msg":"would deliver"/, 200);
      // Killed while it holds claims, so there is in-flight work to take over: frozen (SIGSTOP) and
      // looked at; when it holds none at that instant, let go until its next delivery and look again.
      for (;;) {
        victim.child.kill('SIGSTOP');
        if ((await claimsHeldBy(store, victim.child.pid ?? 0)) > 0) break;
        victim.child.kill('SIGCONT');
        await waitForLog(victim, /"msg":"would deliver"/, deliveredIds(victim).length + 1);
      }
      victim.child.kill('SIGKILL');
      expect((await victim.exited).signal).toBe('SIGKILL');

      await waitUntil(() => allFinal(store), 60_000, 'every event final');
      const final = await processingRows(store);
      expect(final.filter((r) => r.state === 'processed')).toHaveLength(total);

      // Per lane, events finished in id order (a lane's next event is claimed after the last committed).
      const lastDone = new Map<string, number>();
      const late: number[] = [];
      for (const row of final) {
        const at = row.processedAt!.getTime();
        if (at < (lastDone.get(row.patientId!) ?? 0)) late.push(row.id);
        lastDone.set(row.patientId!, at);
      }
      expect(late).toEqual([]);

      // What the sinks saw: every event; twice only if the dead process had it in flight.
      const byVictim = new Set(deliveredIds(victim));
      const bySurvivors = survivors.flatMap(deliveredIds);
      const survivorCounts = new Map<number, number>();
      for (const id of bySurvivors) survivorCounts.set(id, (survivorCounts.get(id) ?? 0) + 1);
      expect([...survivorCounts.values()].filter((n) => n > 1)).toEqual([]);
      const seen = new Set([...byVictim, ...bySurvivors]);
      expect(seen.size).toBe(total);
      const twice = [...byVictim].filter((id) => survivorCounts.has(id));
      // At most what the victim can hold: 4 workers × 20 events.
      expect(twice.length).toBeLessThanOrEqual(80);
      // The taken-over events count the lost attempt.
      for (const id of twice) expect(final.find((r) => r.id === id)?.attempts).toBeGreaterThanOrEqual(2);
      // It died holding claims: those events were taken over after the lease (attempts counts the lost one).
      expect(final.filter((r) => (r.attempts ?? 0) >= 2).length).toBeGreaterThan(0);
      expect(byVictim.size).toBeGreaterThanOrEqual(200);
      expect(survivors.every((s) => deliveredIds(s).length > 0)).toBe(true);
    } finally {
      await store.close();
    }
  }, 120_000);
});
