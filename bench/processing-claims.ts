// Claim cost with many lanes (graphile-worker #240: claims slowed with many queues and deep backlogs).
// Not part of `npm run bench`: `tsx bench/processing-claims.ts` against the test MariaDB. Builds
// 100,000 patient lanes with 2 waiting events each, plus one lane blocked by a failed head with a
// 200,000-event backlog in front of them (the oldest ids), then times claims of 100 events.
import { processingSchema } from '../src/config/schema.ts';
import { createMariaDbRunner } from '../src/processing/claim-store.ts';
import { claimLanes } from '../src/processing/claim-steps.ts';
import { discoverLanes, ensureLanes } from '../src/processing/discover-steps.ts';
import { finishClaim } from '../src/processing/outcome-steps.ts';
import { createMariaDbStore } from '../src/store/mariadb.ts';
import { connectTo } from '../test/support/schema-probes.ts';
import { createTestDatabase } from '../test/support/mariadb.ts';

const lanes = Number(process.env.LANES ?? 100_000);
const backlog = Number(process.env.BACKLOG ?? 200_000);
const db = await createTestDatabase('claims_bench');
if (db === null) throw new Error('MariaDB not reachable');
try {
  await (await createMariaDbStore(db.config)).close();
  const conn = await connectTo(db.config);
  const insert = (state: string, key: string, from: number, count: number) =>
    conn.query(
      `INSERT INTO hl7_message (transport, received_at, raw, content_hash, status, processing_state, ordering_key)` +
        ` SELECT 'mllp', UTC_TIMESTAMP(3), 'x', REPEAT('0', 64), 'received', ?, ${key} FROM seq_${from}_to_${from + count - 1}`,
      [state],
    );
  await insert('failed', `'p:blocked'`, 1, 1);
  await insert('received', `'p:blocked'`, 1, backlog);
  await insert('received', `CONCAT('p:', LPAD(seq, 8, '0'))`, 1, lanes);
  await insert('received', `CONCAT('p:', LPAD(seq, 8, '0'))`, 1, lanes);
  await conn.end();
  const config = processingSchema.parse({});
  const runner = createMariaDbRunner(db.config, 2);
  const d = runner.dialect;
  const times: number[] = [];
  const phases = { discover: [] as number[], ensure: [] as number[] };
  let cursor = '';
  let claimed = 0;
  for (let round = 0; round < 200; round += 1) {
    const started = performance.now();
    const found = await runner.read(() => discoverLanes(d, config.batchSize, new Set(), cursor));
    phases.discover.push(performance.now() - started);
    cursor = found.cursor;
    await runner.read(() => ensureLanes(d, found.lanes));
    phases.ensure.push(performance.now() - started);
    const claim = await runner.transact(() => claimLanes(d, found.lanes, { token: `b:${round}`, leaseMs: 30_000, maxEvents: 100, maxBytes: Number.MAX_SAFE_INTEGER, blockOnFailure: true }));
    times.push(performance.now() - started);
    if (claim === null) continue;
    claimed += claim.events.length;
    await runner.transact(() => finishClaim(d, claim, new Map(claim.events.map((e) => [e.id, { kind: 'processed' as const }]))));
  }
  await runner.close();
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1);
  const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(1);
  console.log(JSON.stringify({ discoverMs: med(phases.discover), ensureMs: med(phases.ensure) }));
  console.log(JSON.stringify({ lanes, backlog, rounds: times.length, claimed, claimMs: { p50: q(0.5), p90: q(0.9), max: q(1) } }));
} finally {
  await db.drop();
}
