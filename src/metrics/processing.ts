import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SinkName } from '../config/schema.ts';
import type { ProcessingStats } from '../processing/control.ts';
import type { FinalState, ProcessingObserver } from '../processing/observer.ts';

// Processing metrics: what the engine reports as it works (ProcessingObserver: lag, sink outcomes
// and latency, retries, yielding to ingest), and the backlog read at scrape time from the database (every instance sees
// the same backlog; the stats reader caches it). Labels: state, sink name, result; never a key or id.

/** Reads the backlog; null while there is nothing to read (processing not wired, store not started). */
export type ProcessingStatsSource = () => Promise<ProcessingStats> | null;

const lagBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const sinkBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const states = ['received', 'processing', 'processed', 'failed', 'skipped'] as const;

export function defineProcessingMetrics(registry: Registry, source: () => ProcessingStatsSource | null): ProcessingObserver {
  const registers = [registry];
  const lag = new Histogram({
    name: 'hl7_processing_lag_seconds',
    help: 'Time from receiving an event to its final state (processed, failed, skipped)',
    labelNames: ['state'] as const,
    buckets: lagBuckets,
    registers,
  });
  const sinkResults = new Counter({
    name: 'hl7_processing_sink_results_total',
    help: 'Events a sink answered, by sink and result (ok, transient: retried, permanent: failed at once)',
    labelNames: ['sink', 'result'] as const,
    registers,
  });
  const sinkSeconds = new Histogram({
    name: 'hl7_processing_sink_seconds',
    help: 'Duration of one sink call (a batch of events), by sink',
    labelNames: ['sink'] as const,
    buckets: sinkBuckets,
    registers,
  });
  const retries = new Counter({
    name: 'hl7_processing_retries_total',
    help: 'Failed attempts that will be tried again, by sink (none: before any sink)',
    labelNames: ['sink'] as const,
    registers,
  });
  const yielded = new Counter({
    name: 'hl7_processing_ingest_yield_seconds_total',
    help: 'Time claims waited while ingest commits were saturated (processing yields to senders)',
    registers,
  });
  defineBacklogMetrics(registers, source);
  // Shared label objects: the hot path does not build one per event.
  const lagLabels: Record<FinalState, { state: FinalState }> = {
    processed: { state: 'processed' },
    failed: { state: 'failed' },
    skipped: { state: 'skipped' },
  };
  return {
    finished(event) {
      lag.observe(lagLabels[event.state], Math.max(0, (event.finishedAt.getTime() - event.receivedAt.getTime()) / 1000));
    },
    delivered(sink: SinkName, results, seconds) {
      sinkSeconds.observe({ sink }, seconds);
      if (results.ok > 0) sinkResults.inc({ sink, result: 'ok' }, results.ok);
      if (results.transient > 0) sinkResults.inc({ sink, result: 'transient' }, results.transient);
      if (results.permanent > 0) sinkResults.inc({ sink, result: 'permanent' }, results.permanent);
    },
    retrying(sink) {
      retries.inc({ sink: sink ?? 'none' });
    },
    yielded(seconds) {
      yielded.inc(seconds);
    },
  };
}

function defineBacklogMetrics(registers: Registry[], source: () => ProcessingStatsSource | null): void {
  // One read per scrape for the three gauges (each collect asks; the reader's cache answers).
  const read = async (): Promise<ProcessingStats | null> => {
    try {
      return (await source()?.()) ?? null;
    } catch {
      // The database is away: the scrape still answers, without the backlog (store metrics tell why).
      return null;
    }
  };
  new Gauge({
    name: 'hl7_processing_events',
    help: 'Events waiting (received), in work (processing) and failed, read from the database',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const stats = await read();
      this.reset();
      if (stats === null) return;
      for (const state of states) {
        const n = stats.counts[state];
        if (n !== undefined) this.set({ state }, n);
      }
    },
  });
  new Gauge({
    name: 'hl7_processing_blocked_lanes',
    help: 'Ordering lanes held back by a failed event (ordered modes with processing.onFailure block)',
    registers,
    async collect() {
      const stats = await read();
      this.reset();
      if (stats !== null) this.set(stats.blocked.count);
    },
  });
  new Gauge({
    name: 'hl7_processing_oldest_waiting_seconds',
    help: 'Age of the oldest event still waiting (received or processing); 0 when none waits',
    registers,
    async collect() {
      const stats = await read();
      this.reset();
      if (stats !== null) this.set(stats.oldestWaiting?.ageSeconds ?? 0);
    },
  });
}
