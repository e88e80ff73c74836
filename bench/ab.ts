import { parseArgs } from 'node:util';
import { createMariaDbBenchDb } from './bench-db.ts';
import { runScenario, scenarioLabel, type Scenario } from './scenario.ts';
import { startOurService, type ServerProcess } from './servers.ts';

// A/B of two builds of the service in the same minutes: `a` runs from another checkout, e.g.
//   mkdir -p /tmp/base && git archive HEAD | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/
// and `b` from this tree. Both run at once, against one database emptied before each measurement, and take turns
// scenario by scenario (order swapped every round), so a noisy minute hits both alike.
//
//   npx tsx bench/ab.ts --a /tmp/base [--only 'ADT 1.2KB 8'] [--rounds 4] [--duration 4]
//   AB_ENV_A='{"X":"1"}' AB_ENV_B='{}' ...   # environment of each service (for experiment switches)


const { values: flags } = parseArgs({
  options: {
    a: { type: 'string' },
    only: { type: 'string', default: '' },
    rounds: { type: 'string', default: '4' },
    duration: { type: 'string', default: '4' },
  },
});

const scenarios: Scenario[] = (['ADT', 'ORU'] as const)
  .flatMap((kind) => [1, 8, 32].map((conns) => ({ kind, conns, depth: 1 })).concat([{ kind, conns: 8, depth: 8 }]))
  .filter((s) => scenarioLabel(s).includes(flags.only ?? ''));

async function start(root: string | undefined, envJson: string | undefined, db: Parameters<typeof startOurService>[0]): Promise<ServerProcess> {
  const env = JSON.parse(envJson ?? '{}') as Record<string, string>;
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await startOurService(db, { root });
  } finally {
    for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
  }
}

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[values.length >> 1] ?? Number.NaN;

async function main(): Promise<void> {
  const db = await createMariaDbBenchDb();
  const servers: [string, ServerProcess][] = [];
  const rates = new Map<string, number[]>();
  try {
    servers.push(['a', await start(flags.a, process.env.AB_ENV_A, db.config)]);
    servers.push(['b', await start(undefined, process.env.AB_ENV_B, db.config)]);
    const timing = { warmUpMs: 1_000, durationMs: Number(flags.duration) * 1_000, ackTimeoutMs: 10_000 };
    for (let round = 0; round < Number(flags.rounds); round++) {
      for (const [i, scenario] of scenarios.entries()) {
        for (const [name, server] of round % 2 === 0 ? servers : [...servers].reverse()) {
          await db.empty();
          const result = await runScenario(server, scenario, timing, `AB${round}${name}${i}`);
          const rate = result.report === null ? Number.NaN : Math.round(result.report.answered / (result.report.windowMs / 1000));
          const key = `${scenarioLabel(scenario)} | ${name}`;
          rates.set(key, [...(rates.get(key) ?? []), rate]);
          process.stderr.write(`  ${key}: ${rate}/s${result.failure === null ? '' : ` (${result.failure})`}\n`);
        }
      }
    }
  } finally {
    await Promise.all(servers.map(([, server]) => server.stop()));
    await db.drop();
  }
  for (const [key, values] of rates) console.log(`${key.padEnd(42)} median ${String(median(values)).padStart(6)}/s  (${values.join(', ')})`);
}

await main();
