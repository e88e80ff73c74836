import { performance } from 'node:perf_hooks';
import { statusMiB } from './proc-stats.ts';
import { fixed, formatTable, median } from './report.ts';
import { runScenario, scenarioLabel, type Scenario, type ScenarioResult } from './scenario.ts';
import type { MemoryUsage, ServerProcess } from './servers.ts';

// Memory over a long run: the service under steady load, sampled every few seconds after a full
// GC (heapUsed is then what is really retained) and by RSS. Flat means the retained heap does not
// grow with the number of messages handled.

export type MemorySample = { seconds: number; answered: number; rssMiB: number | null; memory: MemoryUsage | null };

export type MemoryRun = { scenario: Scenario; samples: MemorySample[]; result: ScenarioResult; verdict: string; flat: boolean | null };

const MiB = 1024 * 1024;

export async function runMemory(server: ServerProcess, scenario: Scenario, seconds: number, sampleEveryS: number, tag: string): Promise<MemoryRun> {
  const samples: MemorySample[] = [];
  let answered = 0;
  let startedAt = 0;
  let sampling = Promise.resolve();
  let nextSampleAt = 0;
  const take = async (): Promise<void> => {
    const memory = await server.memory(true);
    samples.push({ seconds: (performance.now() - startedAt) / 1000, answered, rssMiB: statusMiB(server.pid, 'VmRSS'), memory });
  };
  const result = await runScenario(
    server,
    scenario,
    { warmUpMs: 3_000, durationMs: seconds * 1000, ackTimeoutMs: 10_000, progressEveryMs: 500 },
    tag,
    (n) => {
      answered = n;
      const now = performance.now();
      if (startedAt === 0 && n > 0) startedAt = now;
      if (startedAt !== 0 && now >= nextSampleAt) {
        nextSampleAt = now + sampleEveryS * 1000;
        sampling = sampling.then(take);
      }
    },
  );
  await sampling;
  const { verdict, flat } = judge(samples);
  return { scenario, samples, result, verdict, flat };
}

function judge(samples: MemorySample[]): { verdict: string; flat: boolean | null } {
  const usable = samples.filter((s) => s.memory !== null);
  if (usable.length < 4) return { verdict: 'too few samples to judge', flat: null };
  const third = Math.max(1, Math.floor(usable.length / 3));
  const head = usable.slice(0, third);
  const tail = usable.slice(-third);
  const heap = (group: MemorySample[]): number => median(group.map((s) => s.memory?.heapUsed ?? Number.NaN));
  const rss = (group: MemorySample[]): number => median(group.map((s) => s.rssMiB ?? Number.NaN));
  const messages = Math.round(median(tail.map((s) => s.answered)) - median(head.map((s) => s.answered)));
  const heapGrowth = heap(tail) - heap(head);
  const perMessage = messages > 0 ? heapGrowth / messages : Number.NaN;
  // A leak of even a few bytes per message shows over hundreds of thousands of messages; below
  // 1 MiB of retained-heap growth (GC noise) or 1 byte per message the run counts as flat.
  const flat = heapGrowth < 1 * MiB || perMessage < 1;
  const verdict =
    `retained heap ${fixed(heap(head) / MiB, 1)} -> ${fixed(heap(tail) / MiB, 1)} MiB over ${messages} messages ` +
    `(${fixed(perMessage, 3)} bytes/message), RSS ${fixed(rss(head), 0)} -> ${fixed(rss(tail), 0)} MiB: ${flat ? 'FLAT' : 'GROWING'}`;
  return { verdict, flat };
}

export function memoryLines(run: MemoryRun): string[] {
  const rows = run.samples.map((s) => [
    fixed(s.seconds, 0),
    String(s.answered),
    fixed(s.rssMiB, 1),
    fixed(s.memory === null ? null : s.memory.heapUsed / MiB, 1),
    fixed(s.memory === null ? null : s.memory.heapTotal / MiB, 1),
    fixed(s.memory === null ? null : s.memory.external / MiB, 1),
  ]);
  return [
    `memory run: ${scenarioLabel(run.scenario)}, ${run.samples.length} samples (after a forced GC each)`,
    ...formatTable(['t (s)', 'messages', 'RSS MiB', 'heapUsed MiB', 'heapTotal MiB', 'external MiB'], rows),
    run.result.failure === null ? '' : `load problems: ${run.result.failure}`,
    `verdict: ${run.verdict}`,
  ].filter((line) => line !== '');
}
