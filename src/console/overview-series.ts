import type { OverviewView } from './api.ts';

// The overview's arithmetic, pure: a reading of running totals and gauges every few seconds becomes
// one point of per-second rates (the delta from the reading before, over the time between them),
// kept in a ring of fixed size (an hour of 5-second samples), and the ring becomes the series of
// GET /api/console/overview.

/** What the sampler reads at one instant: running totals (only ever grow) and gauges. */
export type Reading = {
  /** Epoch milliseconds. */
  at: number;
  received: number;
  refused: number;
  byType: Readonly<Record<string, number>>;
  byAck: Readonly<Record<string, number>>;
  processed: number;
  open: { mllp: number; https: number };
  /** null: the backlog could not be read (processing off, store away). */
  backlog: { waiting: number; failed: number; oldestWaitingSeconds: number } | null;
};

export type Point = {
  t: number;
  receivedPerSecond: number;
  refusedPerSecond: number;
  byType: Record<string, number>;
  byAck: Record<string, number>;
  processedPerSecond: number;
  open: { mllp: number; https: number };
  backlog: number;
  failed: number;
  oldestWaitingSeconds: number;
};

/** One hour of 5-second samples. */
export const defaultCapacity = 720;

/** The rates between two readings; a counter that went down (a restart) counts as 0, never negative. */
export function pointBetween(before: Reading, now: Reading): Point {
  const seconds = Math.max((now.at - before.at) / 1000, 1e-3);
  const rate = (a: number, b: number): number => round(Math.max(0, b - a) / seconds);
  const rates = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> =>
    Object.fromEntries(Object.keys(b).map((key) => [key, rate(a[key] ?? 0, b[key] ?? 0)]));
  return {
    t: Math.round(now.at / 1000),
    receivedPerSecond: rate(before.received, now.received),
    refusedPerSecond: rate(before.refused, now.refused),
    byType: rates(before.byType, now.byType),
    byAck: rates(before.byAck, now.byAck),
    processedPerSecond: rate(before.processed, now.processed),
    open: { ...now.open },
    backlog: now.backlog?.waiting ?? 0,
    failed: now.backlog?.failed ?? 0,
    oldestWaitingSeconds: now.backlog?.oldestWaitingSeconds ?? 0,
  };
}

/** A fixed-size ring, oldest first on read. */
export class Ring<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('a ring holds at least one item');
    this.#items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  toArray(): T[] {
    const start = (this.#next - this.#size + this.capacity) % this.capacity;
    return Array.from({ length: this.#size }, (_v, i) => this.#items[(start + i) % this.capacity] as T);
  }
}

/** The points as aligned series; a label absent from a point (not yet seen then) reads 0. */
export function seriesOf(points: readonly Point[]): OverviewView['series'] {
  const byLabel = (pick: (p: Point) => Record<string, number>): Record<string, number[]> => {
    const labels = [...new Set(points.flatMap((p) => Object.keys(pick(p))))].sort();
    return Object.fromEntries(labels.map((label) => [label, points.map((p) => pick(p)[label] ?? 0)]));
  };
  return {
    t: points.map((p) => p.t),
    receivedPerSecond: points.map((p) => p.receivedPerSecond),
    byType: byLabel((p) => p.byType),
    byAck: byLabel((p) => p.byAck),
    refusedPerSecond: points.map((p) => p.refusedPerSecond),
    openConnections: { mllp: points.map((p) => p.open.mllp), https: points.map((p) => p.open.https) },
    processedPerSecond: points.map((p) => p.processedPerSecond),
    backlog: points.map((p) => p.backlog),
    failed: points.map((p) => p.failed),
    oldestWaitingSeconds: points.map((p) => p.oldestWaitingSeconds),
  };
}

/** Three decimals: rates are shown, not summed again. */
function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
