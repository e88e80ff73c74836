import { createHistogram, merge, percentileUs } from './histogram.ts';
import { fixed, formatTable, median } from './report.ts';
import { scenarioLabel, type Scenario, type ScenarioResult } from './scenario.ts';

// The MLLP scenario table (medians over repeats), the ratios against the references measured in
// the same run, and the issue's targets.

export type Cell = {
  rate: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuPct: number;
  serverSysPct: number;
  dbCpuPct: number;
  serverPeakRssMiB: number;
  loadGenCpuPct: number;
  runs: number;
  problems: string[];
};

const key = (server: string, s: Scenario): string => `${server}|${s.kind}|${s.conns}|${s.depth}`;

function summarizeOne(results: ScenarioResult[]): Cell {
  const problems: string[] = [];
  const rates: number[] = [];
  const histogram = createHistogram();
  for (const r of results) {
    if (r.failure !== null) problems.push(r.failure);
    if (r.report === null) continue;
    const notAa = Object.entries(r.report.notAa);
    if (notAa.length > 0) problems.push(`non-AA ${notAa.map(([code, n]) => `${code}x${n}`).join(' ')}`);
    if (r.report.outOfOrder > 0) problems.push(`${r.report.outOfOrder} ACKs out of order`);
    rates.push(r.report.answered / (r.report.windowMs / 1000));
    merge(histogram, r.report.histogram);
  }
  const pick = (f: (r: ScenarioResult) => number | null): number => median(results.map((r) => f(r) ?? Number.NaN));
  return {
    rate: median(rates),
    // Percentiles over every ACK of every repeat.
    p50Ms: percentileUs(histogram, 50) / 1000,
    p99Ms: percentileUs(histogram, 99) / 1000,
    serverCpuPct: pick((r) => r.serverCpuPct),
    serverSysPct: pick((r) => r.serverSysPct),
    dbCpuPct: pick((r) => r.dbCpuPct),
    serverPeakRssMiB: Math.max(...results.map((r) => r.serverPeakRssMiB ?? Number.NaN)),
    loadGenCpuPct: pick((r) => r.loadGenCpuPct),
    runs: results.length,
    problems: [...new Set(problems)],
  };
}

export function summarize(results: ScenarioResult[]): Map<string, Cell> {
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    const k = key(r.server, r.scenario);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return new Map([...groups].map(([k, group]) => [k, summarizeOne(group)]));
}

const serverLabels: Record<string, string> = {
  ours: 'hl7v2-listener (stored)',
  medplum: '@medplum/hl7 Hl7Server (no store)',
  floor: 'frame+ACK floor',
};

export function resultTable(servers: string[], scenarios: Scenario[], cells: Map<string, Cell>): string[] {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    for (const server of servers) {
      const c = cells.get(key(server, scenario));
      if (c === undefined) continue;
      rows.push([
        scenarioLabel(scenario),
        serverLabels[server] ?? server,
        fixed(c.rate, 0, '/s'),
        fixed(c.p50Ms, 2, ' ms'),
        fixed(c.p99Ms, 2, ' ms'),
        fixed(c.serverCpuPct, 0, '%'),
        fixed(c.serverSysPct, 0, '%'),
        fixed(c.dbCpuPct, 0, '%'),
        fixed(c.serverPeakRssMiB, 0, ' MiB'),
        fixed(c.loadGenCpuPct, 0, '%'),
        c.problems.length > 0 ? `INVALID: ${c.problems.join('; ').slice(0, 200)}` : '',
      ]);
    }
  }
  return formatTable(['scenario', 'server', 'msg/s', 'p50', 'p99', 'srv CPU', 'of it sys', 'db CPU', 'srv peak RSS', 'loadgen CPU', 'notes'], rows);
}

export function ratioTable(scenarios: Scenario[], cells: Map<string, Cell>): string[] {
  const ratio = (a: Cell | undefined, b: Cell | undefined): string => (a && b && b.rate > 0 ? `${(a.rate / b.rate).toFixed(2)}x` : '-');
  const rows = scenarios.map((s) => {
    const ours = cells.get(key('ours', s));
    const medplum = s.depth > 1 ? 'n/a (no pipelining)' : ratio(ours, cells.get(key('medplum', s)));
    return [scenarioLabel(s), medplum, ratio(ours, cells.get(key('floor', s)))];
  });
  return formatTable(['scenario', 'ours / medplum', 'ours / floor'], rows);
}

export type TargetCheck = { target: string; measured: string; met: boolean | null };

export function checkTargets(cells: Map<string, Cell>): TargetCheck[] {
  const get = (server: string, kind: 'ADT' | 'ORU', conns: number, depth: number): Cell | undefined => cells.get(key(server, { kind, conns, depth }));
  const checks: TargetCheck[] = [];
  const add = (target: string, cell: Cell | undefined, measured: (c: Cell) => string, met: (c: Cell) => boolean): void => {
    if (cell === undefined) checks.push({ target, measured: 'not measured', met: null });
    else checks.push({ target, measured: measured(cell), met: cell.problems.length === 0 && met(cell) });
  };
  const ref = get('medplum', 'ADT', 32, 1);
  add('ADT 32 conns: >= 1.0x medplum, same run', get('ours', 'ADT', 32, 1), (c) => `${fixed(c.rate, 0, '/s')} vs ${fixed(ref?.rate ?? null, 0, '/s')}`, (c) => ref !== undefined && c.rate >= ref.rate);
  add('ADT 32 conns: p99 <= 10 ms', get('ours', 'ADT', 32, 1), (c) => fixed(c.p99Ms, 2, ' ms'), (c) => c.p99Ms <= 10);
  add('ADT 1 conn: >= 3,000/s', get('ours', 'ADT', 1, 1), (c) => fixed(c.rate, 0, '/s'), (c) => c.rate >= 3_000);
  add('ADT 1 conn: p99 <= 1 ms', get('ours', 'ADT', 1, 1), (c) => fixed(c.p99Ms, 2, ' ms'), (c) => c.p99Ms <= 1);
  add('ADT 8 conns pipelined x8: >= 20,000/s', get('ours', 'ADT', 8, 8), (c) => fixed(c.rate, 0, '/s'), (c) => c.rate >= 20_000);
  add('ORU 20KB 8 conns: >= 3,000/s', get('ours', 'ORU', 8, 1), (c) => fixed(c.rate, 0, '/s'), (c) => c.rate >= 3_000);
  return checks;
}

export function targetLines(checks: TargetCheck[]): string[] {
  return formatTable(
    ['target', 'measured', 'met'],
    checks.map((c) => [c.target, c.measured, c.met === null ? '-' : c.met ? 'yes' : 'NO']),
  );
}
