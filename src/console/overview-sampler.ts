import type { MetricsTotals } from '../metrics/metrics.ts';
import type { ProcessingStats } from '../processing/control.ts';
import type { OverviewView } from './api.ts';
import { defaultCapacity, pointBetween, Ring, seriesOf, type Point, type Reading } from './overview-series.ts';

// The console's overview (GET /api/console/overview) is served from memory: this sampler reads the
// metrics' running totals, the open connections, the processing backlog through its shared cache
// (one read of the database per interval at most, whoever asks) and the store's last known health,
// every `intervalMs`, and keeps an hour of points. A request reads the ring, never the database.

export type StoreHealth = { state: 'up' | 'down' | 'unknown'; detail: string | null };

export type OverviewSources = {
  totals(): MetricsTotals;
  openConnections(): Promise<{ mllp: number; https: number }>;
  /** The processing backlog through its cache; null when processing is off or the store has no handle. */
  processingStats: (() => Promise<ProcessingStats>) | null;
  processing: { enabled: boolean; maxLagSeconds: number };
  /** What the readiness probe last found of the store (no new query); unknown before any probe. */
  storeHealth(): StoreHealth;
};

export type OverviewSamplerOptions = {
  sources: OverviewSources;
  /** Epoch milliseconds. */
  clock?: () => number;
  intervalMs?: number;
  capacity?: number;
};

type ProcessingReading = { stats: ProcessingStats | null; error: string | null };

export class OverviewSampler {
  readonly #sources: OverviewSources;
  readonly #clock: () => number;
  readonly intervalMs: number;
  readonly #points: Ring<Point>;
  #last: Reading;
  #processing: ProcessingReading = { stats: null, error: null };
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;

  constructor(options: OverviewSamplerOptions) {
    this.#sources = options.sources;
    this.#clock = options.clock ?? Date.now;
    this.intervalMs = options.intervalMs ?? 5_000;
    this.#points = new Ring(options.capacity ?? defaultCapacity);
    // The baseline: the first point's rates are counted from here.
    this.#last = this.#readTotals({ mllp: 0, https: 0 }, null);
  }

  /** Samples every intervalMs until stop(); the timer never keeps the process alive. */
  start(): void {
    if (this.#timer !== null) return;
    this.#last = this.#readTotals(this.#last.open, this.#last.backlog);
    this.#timer = setInterval(() => void this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a sample in flight. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** Takes one sample now (the timer calls it; tests call it directly). One at a time: a call during another waits for it. */
  sample(): Promise<void> {
    this.#running ??= this.#takeSample().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  view(): OverviewView {
    const points = this.#points.toArray();
    const newest = points.at(-1);
    const totals = this.#last;
    return {
      sampledAt: new Date(newest === undefined ? this.#clock() : newest.t * 1000).toISOString(),
      intervalSeconds: this.intervalMs / 1000,
      series: seriesOf(points),
      totals: { received: totals.received, refused: totals.refused, byAck: { ...totals.byAck } },
      store: this.#storeHealth(),
      processing: this.#processingView(),
    };
  }

  async #takeSample(): Promise<void> {
    const [open, processing] = await Promise.all([
      this.#sources.openConnections().catch(() => this.#last.open),
      this.#readProcessing(),
    ]);
    this.#processing = processing;
    const stats = processing.stats;
    const backlog =
      stats === null
        ? null
        : {
            waiting: (stats.counts.received ?? 0) + (stats.counts.processing ?? 0),
            failed: stats.counts.failed ?? 0,
            oldestWaitingSeconds: stats.oldestWaiting?.ageSeconds ?? 0,
          };
    const reading = this.#readTotals(open, backlog);
    this.#points.push(pointBetween(this.#last, reading));
    this.#last = reading;
  }

  #readTotals(open: Reading['open'], backlog: Reading['backlog']): Reading {
    const totals = this.#sources.totals();
    return {
      at: this.#clock(),
      received: totals.received,
      refused: totals.refused,
      byType: totals.byType,
      byAck: totals.byAck,
      processed: totals.finished.processed ?? 0,
      open,
      backlog,
    };
  }

  async #readProcessing(): Promise<ProcessingReading> {
    const read = this.#sources.processingStats;
    if (read === null || !this.#sources.processing.enabled) return { stats: null, error: null };
    try {
      return { stats: await read(), error: null };
    } catch (err) {
      // The error's name only: a driver message may quote SQL or a host name.
      return { stats: null, error: err instanceof Error ? err.name : 'error' };
    }
  }

  /**
   * The backlog read of the last sample is a database query at most one interval old: its outcome
   * says whether the store answers. Without one (processing off), the readiness probe's last word.
   */
  #storeHealth(): StoreHealth {
    const { stats, error } = this.#processing;
    if (error !== null) return { state: 'down', detail: `the processing backlog could not be read (${error})` };
    if (stats !== null) return { state: 'up', detail: null };
    return this.#sources.storeHealth();
  }

  #processingView(): OverviewView['processing'] {
    const { enabled, maxLagSeconds } = this.#sources.processing;
    if (!enabled) return { state: 'disabled', counts: {}, blockedLanes: 0 };
    const stats = this.#processing.stats;
    if (stats === null) return { state: 'unknown', counts: {}, blockedLanes: 0 };
    const counts = Object.fromEntries(Object.entries(stats.counts).filter((entry): entry is [string, number] => entry[1] !== undefined));
    const lagging = (stats.oldestWaiting?.ageSeconds ?? 0) > maxLagSeconds;
    return { state: lagging ? 'degraded' : 'up', counts, blockedLanes: stats.blocked.count };
  }
}
