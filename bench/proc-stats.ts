import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

// Linux /proc readings of another process: CPU time and resident memory. The bench runs on Linux
// (the machine kind); elsewhere these return null and the columns print '-'.

let clockTicks: number | undefined;

function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export type CpuTime = { user: number; system: number };

/** User and system CPU seconds used so far by `pid` (its threads included). */
export function cpuTime(pid: number): CpuTime | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / ticksPerSecond(), system: Number(fields[12]) / ticksPerSecond() };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) used so far by `pid`; NaN when there is none to read (no such process, not Linux). */
export function cpuSeconds(pid: number | null): number {
  const t = pid === null ? null : cpuTime(pid);
  return t === null ? Number.NaN : t.user + t.system;
}

/** The first process whose command name is one of `names` (e.g. the local mariadbd), or null. */
export function findProcess(names: string[]): number | null {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (names.includes(comm)) return Number(entry);
    }
  } catch {
    // not Linux, or the process went away while we looked
  }
  return null;
}

/** A `Vm*` line of /proc/<pid>/status, in MiB. */
export function statusMiB(pid: number, key: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Resets VmHWM (peak RSS) to the current RSS, so the next reading is the peak of what follows. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Samples VmRSS every `everyMs` and keeps the maximum (a fallback where VmHWM cannot be reset). */
export function sampleRss(pid: number, everyMs = 100): { stop(): number | null } {
  let max: number | null = null;
  const take = (): void => {
    const rss = statusMiB(pid, 'VmRSS');
    if (rss !== null) max = Math.max(max ?? 0, rss);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return max;
    },
  };
}
