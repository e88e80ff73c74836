// Formatting shared by the bench's printed tables. Rows of the in-process hot-path loop keep the
// original shape (one line each); the MLLP scenarios are printed by results.ts.

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

export function formatRow(row: Row): string {
  const seconds = row.elapsedMs / 1000;
  const rate = row.count / seconds;
  const mbPerSecond = row.bytes / seconds / 1e6;
  return [
    row.kind.padEnd(11),
    row.message.padEnd(9),
    `${row.count} msgs`.padStart(11),
    `${Math.round(rate)} msg/s`.padStart(13),
    `${mbPerSecond.toFixed(1)} MB/s`.padStart(11),
    row.note,
  ]
    .join('  ')
    .trimEnd();
}

/** A table with a header, columns padded to their widest cell; numbers right-aligned. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (/^[\d.,x%-]+( ms| MiB|\/s)?$/.test(cell) && i > 0 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function fixed(value: number | null, digits: number, unit = ''): string {
  return value === null || !Number.isFinite(value) ? '-' : `${value.toFixed(digits)}${unit}`;
}
