import type { Logger } from 'pino';
import type { RetentionConfig } from '../config/schema.ts';
import type { ExpiryPolicy, Store } from '../store/store.ts';
import { expiryCutoffs } from './policy.ts';

// Deletes expired rows in bounded chunks (retention.chunkSize rows per statement, so the table is
// never locked for long), yielding to the event loop between chunks so that ingest keeps its
// latency. One pass at start, then one every retention.intervalMinutes after the previous pass
// ended: passes never overlap. The timer is unref'd: it never keeps the process alive.

export type PassReport = {
  deletedAccepted: number;
  deletedRejected: number;
  /** deleteExpired calls made. */
  chunks: number;
  durationMs: number;
  /** false when the pass stopped early (store error, or stop()). */
  completed: boolean;
};

/** Running totals, for metrics. Plain numbers. */
export type RetentionTotals = {
  passes: number;
  failedPasses: number;
  deletedAccepted: number;
  deletedRejected: number;
  lastPassAt: Date | null;
};

export type RetentionDeps = {
  store: Pick<Store, 'deleteExpired'>;
  config: RetentionConfig;
  log: Logger;
  clock?: () => Date;
};

type Counted = 'deletedAccepted' | 'deletedRejected';

export class RetentionJob {
  readonly totals: RetentionTotals = { passes: 0, failedPasses: 0, deletedAccepted: 0, deletedRejected: 0, lastPassAt: null };
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PassReport> | null = null;
  private stopping = false;
  private readonly clock: () => Date;

  constructor(private readonly deps: RetentionDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  start(): void {
    if (this.timer !== null || this.stopping) return;
    this.schedule(0);
  }

  /** No new pass; a running pass ends after its current chunk, and stop resolves once it has. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass now (what the timer runs). A pass already running is joined, never doubled. */
  runPass(): Promise<PassReport> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      // runPass never rejects (a failed pass is logged and counted), so nothing is lost here.
      void this.runPass().then(() => {
        if (!this.stopping) this.schedule(this.deps.config.intervalMinutes * 60_000);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<PassReport> {
    const started = this.clock();
    const cutoffs = expiryCutoffs(this.deps.config, started);
    const report: PassReport = { deletedAccepted: 0, deletedRejected: 0, chunks: 0, durationMs: 0, completed: true };
    try {
      // Two phases, so the line can say what was removed: accepted rows, then refused ones.
      await this.drain({ acceptedBefore: cutoffs.acceptedBefore, rejectedBefore: null }, 'deletedAccepted', report);
      await this.drain({ acceptedBefore: null, rejectedBefore: cutoffs.rejectedBefore }, 'deletedRejected', report);
    } catch (err) {
      report.completed = false;
      this.totals.failedPasses += 1;
      const summary = err instanceof Error ? { type: err.name, message: err.message } : { type: typeof err };
      this.deps.log.warn({ err: summary }, 'retention pass failed; the next one runs on schedule');
    }
    report.durationMs = this.clock().getTime() - started.getTime();
    this.totals.passes += 1;
    this.totals.deletedAccepted += report.deletedAccepted;
    this.totals.deletedRejected += report.deletedRejected;
    this.totals.lastPassAt = started;
    this.deps.log.info({ ...report, ...cutoffs }, 'retention pass');
    return report;
  }

  private async drain(cutoffs: Omit<ExpiryPolicy, 'limit'>, counted: Counted, report: PassReport): Promise<void> {
    if (cutoffs.acceptedBefore === null && cutoffs.rejectedBefore === null) return;
    const limit = this.deps.config.chunkSize;
    for (;;) {
      if (this.stopping) {
        report.completed = false;
        return;
      }
      const deleted = await this.deps.store.deleteExpired({ ...cutoffs, limit });
      report.chunks += 1;
      report[counted] += deleted;
      if (deleted < limit) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
