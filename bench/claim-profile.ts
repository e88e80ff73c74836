// Where a claim's database time goes. Not part of `npm run bench`: `npx tsx bench/claim-profile.ts`
// against the test MariaDB. Stores LANES × PER waiting 1.2 KB events (lanes interleaved, as a
// backlog over many patients), then claims and finishes them all on one connection, as the engine
// does (lane budget included), and prints events/s, mariadbd CPU and redo per event (from /proc and
// SHOW GLOBAL STATUS: run it on a quiet machine), and the time of each statement shape.
// LANES (1000), PER (50), BATCH (100), MODE (lanes | parallel). LANES=30000 PER=1: the steady state.
import { readFileSync } from 'node:fs';
import { processingSchema } from '../src/config/schema.ts';
import { createMariaDbRunner } from '../src/processing/claim-store.ts';
import { claimLanes, type Steps } from '../src/processing/claim-steps.ts';
import { claimParallel } from '../src/processing/parallel-steps.ts';
import { discoverLanes, ensureLanes } from '../src/processing/discover-steps.ts';
import { adaptLanes } from '../src/processing/lane-budget.ts';
import { finishClaim } from '../src/processing/outcome-steps.ts';
import { createMariaDbStore } from '../src/store/mariadb.ts';
import { connectTo } from '../test/support/schema-probes.ts';
import { createTestDatabase } from '../test/support/mariadb.ts';

const lanes = Number(process.env.LANES ?? 1000);
const perLane = Number(process.env.PER ?? 50);
const mode = process.env.MODE ?? 'lanes';
const batch = Number(process.env.BATCH ?? 100);
const times = new Map<string, { n: number; ms: number }>();
function label(sql: string): string { return sql.replace(/\(\?(, \?)*\)/g, '(?)').replace(/\([0-9, ]+\)/g, '(ids)').slice(0, 90); }
function* timed<T>(steps: Steps<T>): Steps<T> {
  let next = steps.next();
  while (!next.done) {
    const t = performance.now();
    const result = yield next.value;
    const k = label(next.value.sql);
    const e = times.get(k) ?? { n: 0, ms: 0 };
    e.n += 1; e.ms += performance.now() - t; times.set(k, e);
    next = steps.next(result);
  }
  return next.value;
}
const db = await createTestDatabase('claimprof');
if (db === null) throw new Error('MariaDB not reachable');
try {
  await (await createMariaDbStore(db.config)).close();
  const conn = await connectTo(db.config);
  const raw = 'MSH|^~\\&|' + 'x'.repeat(1200);
  await conn.query(`INSERT INTO hl7_message (transport, received_at, raw, content_hash, status, processing_state, ordering_key, sending_application, patient_id, message_type, trigger_event, version, control_id)
    SELECT 'mllp', UTC_TIMESTAMP(3), ?, REPEAT('0', 64), 'received', 'received', CONCAT('p:', SHA2(seq % ${lanes}, 256)), 'APP', CONCAT('P', seq % ${lanes}), 'ADT', 'A01', '2.5', CONCAT('C', seq) FROM seq_1_to_${lanes * perLane}`, [raw]);
  const stat = async () => { const [r] = await conn.query(`SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_redo_log_bytes_written','Innodb_os_log_written','Innodb_data_written','Innodb_rows_updated','Innodb_rows_read','Handler_read_next','Handler_read_key')`); return Object.fromEntries((r as any[]).map((x) => [x.Variable_name, Number(x.Value)])); };
  const cpu = () => { const pid = readFileSync('/run/mysqld/mysqld.pid', 'utf8').trim(); const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
  const s0 = await stat(); const c0 = cpu();
  const config = processingSchema.parse({});
  const runner = createMariaDbRunner(db.config, 2);
  const d = runner.dialect;
  let cursor = '';
  let budget = batch;
  let claimed = 0;
  const started = performance.now();
  for (let round = 0; claimed < lanes * perLane; round += 1) {
    let claim;
    if (mode === 'parallel') {
      claim = await runner.transact(() => timed(claimParallel(d, { token: `b:${round}`, leaseMs: 30_000, maxEvents: batch, maxBytes: 8e6 })));
    } else {
      const found = await runner.read(() => timed(discoverLanes(d, Math.min(batch, budget * 4), new Set(), cursor, round === 0)));
      cursor = found.cursor;
      await runner.read(() => timed(ensureLanes(d, found.lanes)));
      claim = await runner.transact(() => timed(claimLanes(d, found.lanes, { token: `b:${round}`, leaseMs: 30_000, maxEvents: batch, maxLanes: budget, maxBytes: 8e6, blockOnFailure: true })));
      if (claim !== null) budget = adaptLanes(budget, batch, claim);
    }
    if (claim === null) break;
    claimed += claim.events.length;
    await runner.transact(() => timed(finishClaim(d, claim, new Map(claim.events.map((e) => [e.id, { kind: 'processed' as const }])))));
  }
  const wall = performance.now() - started;
  const s1 = await stat(); const c1 = cpu();
  await runner.close();
  await conn.end();
  console.log(`${mode} batch ${batch}: ${claimed} events in ${wall.toFixed(0)} ms = ${Math.round(claimed / wall * 1000)}/s; mariadbd cpu ${c1 - c0} ms = ${((c1 - c0) * 1000 / claimed).toFixed(0)} us/event`);
  for (const k of Object.keys(s1)) console.log(`  ${k}: ${((s1[k] - s0[k]) / claimed).toFixed(1)} /event`);
  for (const [k, v] of [...times].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${v.ms.toFixed(0).padStart(6)} ms ${String(v.n).padStart(5)}x  ${k}`);
} finally {
  await db.drop();
}
