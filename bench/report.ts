// One printed row per measurement. Latencies are null where there is no ACK to wait for (hot path).

export type Row = {
  kind: string;
  engine: string;
  message: string;
  conns: number | null;
  count: number;
  elapsedMs: number;
  bytes: number;
  latenciesMs: number[] | null;
  note: string;
};

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

function ms(value: number): string {
  return value < 10 ? value.toFixed(2) : value.toFixed(1);
}

export function formatRow(row: Row): string {
  const seconds = row.elapsedMs / 1000;
  const rate = row.count / seconds;
  const mbPerSecond = row.bytes / seconds / 1e6;
  const sorted = row.latenciesMs === null ? null : [...row.latenciesMs].sort((a, b) => a - b);
  const p50 = sorted === null ? '-' : `${ms(percentile(sorted, 50))} ms`;
  const p99 = sorted === null ? '-' : `${ms(percentile(sorted, 99))} ms`;
  return [
    row.kind.padEnd(11),
    row.engine.padEnd(7),
    row.message.padEnd(9),
    (row.conns === null ? '' : `conns=${row.conns}`).padEnd(8),
    `${row.count} msgs`.padStart(11),
    `${Math.round(rate)} msg/s`.padStart(12),
    `p50 ${p50}`.padEnd(12),
    `p99 ${p99}`.padEnd(13),
    `${mbPerSecond.toFixed(2)} MB/s`.padStart(11),
    row.note,
  ]
    .join('  ')
    .trimEnd();
}
