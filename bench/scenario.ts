import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import type { MessageKind } from './fixtures.ts';
import type { LoadReport, LoadSpec } from './load-spec.ts';
import { cpuTime, findProcess, resetPeakRss, sampleRss, statusMiB, type CpuTime } from './proc-stats.ts';
import { root, type ServerProcess } from './servers.ts';

// One measurement: a load-generator process against one server process, with the server's CPU
// and peak RSS read from /proc over the load generator's measured window.

export type Scenario = { kind: MessageKind; conns: number; depth: number };

export type Timing = {
  warmUpMs: number;
  durationMs: number;
  ackTimeoutMs: number;
  progressEveryMs?: number;
  /** PID-3 cycles over this many patients (load-spec.ts). */
  patients?: number;
  /** Open-loop messages per second (load-spec.ts). */
  ratePerSec?: number;
  /** At most this many messages in all (load-spec.ts). */
  maxMessages?: number;
};

export type ScenarioResult = {
  server: string;
  scenario: Scenario;
  report: LoadReport | null;
  /** Server CPU over the window, in % of one core (200 % = both cores of a 2-core machine). */
  serverCpuPct: number | null;
  /** The kernel's share of it (syscalls: socket reads and writes, epoll). */
  serverSysPct: number | null;
  /** The local MariaDB server's CPU over the window, when it runs on this machine. */
  dbCpuPct: number | null;
  serverPeakRssMiB: number | null;
  loadGenCpuPct: number | null;
  failure: string | null;
};

export const scenarioLabel = (s: Scenario): string =>
  `${s.kind === 'ADT' ? 'ADT 1.2KB' : 'ORU 20KB'} ${s.depth === 1 ? `${s.conns} conn${s.conns === 1 ? '' : 's'} stop-and-wait` : `${s.conns} conns pipelined x${s.depth}`}`;

type Window = {
  startedAt: number;
  cpu: CpuTime | null;
  dbCpu: CpuTime | null;
  rss: { stop(): number | null } | null;
  cpuPct: number | null;
  sysPct: number | null;
  dbPct: number | null;
  peak: number | null;
};

const dbPid = findProcess(['mariadbd', 'mysqld']);

function openWindow(pid: number): Window {
  const hwmReset = resetPeakRss(pid);
  const base = { startedAt: performance.now(), cpu: cpuTime(pid), dbCpu: dbPid === null ? null : cpuTime(dbPid) };
  return { ...base, rss: hwmReset ? null : sampleRss(pid), cpuPct: null, sysPct: null, dbPct: null, peak: null };
}

/** % of one core between two readings. */
function percent(from: CpuTime | null, to: CpuTime | null, seconds: number, part: 'all' | 'system'): number | null {
  if (from === null || to === null) return null;
  const used = part === 'all' ? to.user + to.system - from.user - from.system : to.system - from.system;
  return (used / seconds) * 100;
}

function closeWindow(pid: number, w: Window): void {
  const seconds = (performance.now() - w.startedAt) / 1000;
  const cpu = cpuTime(pid);
  w.cpuPct = percent(w.cpu, cpu, seconds, 'all');
  w.sysPct = percent(w.cpu, cpu, seconds, 'system');
  w.dbPct = dbPid === null ? null : percent(w.dbCpu, cpuTime(dbPid), seconds, 'all');
  w.peak = w.rss === null ? statusMiB(pid, 'VmHWM') : w.rss.stop();
}

export async function runScenario(server: ServerProcess, scenario: Scenario, timing: Timing, tag: string, onProgress?: (answered: number) => void): Promise<ScenarioResult> {
  const spec: LoadSpec = { host: '127.0.0.1', port: server.port, ...scenario, ...timing, tag, checkIds: server.checkIds };
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'load-gen.ts'), JSON.stringify(spec)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const cap = setTimeout(() => child.kill('SIGKILL'), timing.warmUpMs + timing.durationMs + timing.ackTimeoutMs + 30_000);
  let window: Window | null = null;
  let report: LoadReport | null = null;
  let failure: string | null = null;
  for await (const line of createInterface({ input: child.stdout! })) {
    const event = JSON.parse(line) as { event: string; report?: LoadReport; reason?: string; answered?: number };
    if (event.event === 'start') window = openWindow(server.pid);
    else if (event.event === 'end' && window !== null) closeWindow(server.pid, window);
    else if (event.event === 'progress' && event.answered !== undefined) onProgress?.(event.answered);
    else if (event.event === 'report') report = event.report ?? null;
    else if (event.event === 'failed') failure = event.reason ?? 'load generator failed';
  }
  clearTimeout(cap);
  if (report === null && failure === null) failure = `load generator ended without a report: ${stderr.trim().slice(-500)}`;
  if (report !== null && report.errors.length > 0) failure = report.errors.join('; ');
  const loadGenCpuPct = report === null || report.windowMs <= 0 ? null : ((report.cpuUserMs + report.cpuSystemMs) / report.windowMs) * 100;
  return {
    server: server.name,
    scenario,
    report,
    serverCpuPct: window?.cpuPct ?? null,
    serverSysPct: window?.sysPct ?? null,
    dbCpuPct: window?.dbPct ?? null,
    serverPeakRssMiB: window?.peak ?? null,
    loadGenCpuPct,
    failure,
  };
}
