import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ProcessingObserver } from '../processing/observer.ts';
import { createLabeler, type AcceptedTypes } from './labels.ts';
import { createTotals, type MetricsTotals } from './totals.ts';
import { defineProcessingMetrics, type ProcessingStatsSource } from './processing.ts';
import {
  defineScrapeTimeMetrics,
  type MetricsTransport,
  type MllpTotals,
  type RetentionTotals,
  type ScrapeSources,
} from './scrape-time.ts';

// Prometheus metrics of one app. A Registry per app, never prom-client's global one, so several
// apps (tests) can live in one process. Labels carry no PHI: transport, message type and trigger
// event bounded to the configured ones, ACK code, result.

/** What an ingest call concluded; IngestOutcome satisfies it. */
export type ObservedOutcome = {
  ackCode: string | null;
  result: 'accept' | 'duplicate' | 'error' | 'reject';
  stored: boolean;
  messageType: string | null;
  triggerEvent?: string | null;
};

export type { MetricsTransport, MllpTotals, RetentionTotals } from './scrape-time.ts';
export type { MetricsTotals } from './totals.ts';

export type MetricsOptions = { acceptedTypes?: AcceptedTypes };


export type Metrics = {
  readonly registry: Registry;
  /** One message answered (or not) by ingest, `seconds` from receipt to the ACK being ready. */
  observeIngest(transport: MetricsTransport, outcome: ObservedOutcome, seconds: number): void;
  /** One store write (a commit), successful or not. */
  observeCommit(seconds: number, ok?: boolean): void;
  /** Counts a message as in flight until the returned function is called. */
  startMessage(transport: MetricsTransport): () => void;
  /** Read at scrape time: the number of open connections of a door. */
  watchOpenConnections(transport: MetricsTransport, read: () => number | Promise<number>): void;
  /** Read at scrape time: the MLLP server's totals (framing errors, connections). */
  watchMllp(read: () => MllpTotals | null): void;
  /** Read at scrape time: the retention job's totals (rows deleted, passes). */
  watchRetention(read: () => RetentionTotals | null): void;
  /** What the processing engine reports (lag, sink outcomes and latency, retries). */
  readonly processing: ProcessingObserver;
  /** Read at scrape time: the processing backlog (by state, blocked lanes, oldest waiting age). */
  watchProcessing(read: ProcessingStatsSource): void;
  render(): Promise<{ contentType: string; body: string }>;
  /** A copy of the running totals (see MetricsTotals). */
  totals(): MetricsTotals;
  /** Open connections per door now, from the watched sources (0 for a door not watched). */
  openConnections(): Promise<Record<MetricsTransport, number>>;
};

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type MessageLabels = { transport: MetricsTransport; type: string; event: string; ack_code: string; result: string };

/**
 * The per-message counts, kept in plain numbers and handed to prom-client at scrape time (its
 * `collect` hook): an `inc()` with labels sorts and hashes them on every call, a few µs per message
 * on the hot path. The label sets are bounded (labels.ts), so is this map.
 */
type HotCounts = { messages: Map<string, { labels: MessageLabels; n: number }>; inFlight: Record<MetricsTransport, number> };

// Shared label objects: prom-client keeps a reference to the first one it sees, never changes it.
const transportLabels = { mllp: { transport: 'mllp' }, https: { transport: 'https' } } as const;
const outcomeLabels = { ok: { outcome: 'ok' }, error: { outcome: 'error' } } as const;

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const label = createLabeler(options.acceptedTypes ?? {});
  const sources: ScrapeSources = { open: new Map(), mllp: () => null, retention: () => null };
  const hot: HotCounts = { messages: new Map(), inFlight: { mllp: 0, https: 0 } };
  const m = { ...defineMessageMetrics(registry, hot), ...defineTimings(registry, hot) };
  defineScrapeTimeMetrics(registry, sources);
  let processingStats: ProcessingStatsSource | null = null;
  const observed = defineProcessingMetrics(registry, () => processingStats);
  const totals = createTotals();
  const processing: ProcessingObserver = {
    ...observed,
    finished(event) {
      observed.finished(event);
      totals.finished(event.state);
    },
  };

  function countMessage(labels: MessageLabels): void {
    const key = `${labels.transport}\u0001${labels.type}\u0001${labels.event}\u0001${labels.ack_code}\u0001${labels.result}`;
    const entry = hot.messages.get(key);
    if (entry === undefined) hot.messages.set(key, { labels, n: 1 });
    else entry.n += 1;
  }

  return {
    registry,
    observeIngest(transport, outcome, seconds) {
      const ackCode = outcome.ackCode ?? 'none';
      const { type, event } = label(outcome.messageType, outcome.triggerEvent ?? null);
      countMessage({ transport, type, event, ack_code: ackCode, result: outcome.result });
      totals.message(type, ackCode, outcome.result === 'error' || outcome.result === 'reject');
      m.ackLatency.observe(transportLabels[transport], seconds);
      if (outcome.result === 'duplicate') m.duplicates.inc({ transport });
      if (outcome.result === 'error' || outcome.result === 'reject') m.refused.inc({ transport, ack_code: ackCode });
      if (!outcome.stored && outcome.result !== 'duplicate') m.storeFailures.inc({ transport });
    },
    observeCommit(seconds, ok = true) {
      m.commitLatency.observe(ok ? outcomeLabels.ok : outcomeLabels.error, seconds);
    },
    startMessage(transport) {
      hot.inFlight[transport] += 1;
      let done = false;
      return () => {
        if (done) return;
        done = true;
        hot.inFlight[transport] -= 1;
      };
    },
    watchOpenConnections(transport, read) {
      sources.open.set(transport, read);
    },
    watchMllp(read) {
      sources.mllp = read;
    },
    watchRetention(read) {
      sources.retention = read;
    },
    processing,
    watchProcessing(read) {
      processingStats = read;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    totals: totals.read,
    async openConnections() {
      const read = async (transport: MetricsTransport): Promise<number> => (await sources.open.get(transport)?.()) ?? 0;
      const [mllp, https] = await Promise.all([read('mllp'), read('https')]);
      return { mllp, https };
    },
  };
}

function defineMessageMetrics(registry: Registry, hot: HotCounts) {
  const registers = [registry];
  return {
    messages: new Counter({
      name: 'hl7_messages_total',
      help: 'Messages handled, by transport, message type, trigger event, ACK code (none: no ACK sent) and result',
      labelNames: ['transport', 'type', 'event', 'ack_code', 'result'] as const,
      registers,
      collect() {
        for (const entry of hot.messages.values()) {
          if (entry.n === 0) continue;
          this.inc(entry.labels, entry.n);
          entry.n = 0;
        }
      },
    }),
    duplicates: new Counter({
      name: 'hl7_duplicate_messages_total',
      help: 'Exact retransmissions answered again without a second row',
      labelNames: ['transport'] as const,
      registers,
    }),
    refused: new Counter({
      name: 'hl7_refused_messages_total',
      help: 'Messages answered AE/AR (CE/CR), by transport and ACK code',
      labelNames: ['transport', 'ack_code'] as const,
      registers,
    }),
    storeFailures: new Counter({
      name: 'hl7_store_failures_total',
      help: 'Messages that could not be committed (answered AR 207 or a refused row lost)',
      labelNames: ['transport'] as const,
      registers,
    }),
  };
}

function defineTimings(registry: Registry, hot: HotCounts) {
  const registers = [registry];
  const inFlight = new Gauge({
    name: 'hl7_in_flight_messages',
    help: 'Messages received and not yet answered',
    labelNames: ['transport'] as const,
    registers,
    collect() {
      for (const transport of ['mllp', 'https'] as const) this.set(transportLabels[transport], hot.inFlight[transport]);
    },
  });
  return {
    inFlight,
    ackLatency: new Histogram({
      name: 'hl7_ack_latency_seconds',
      help: 'Time from receiving a message to its ACK being ready (after the commit)',
      labelNames: ['transport'] as const,
      buckets: latencyBuckets,
      registers,
    }),
    commitLatency: new Histogram({
      name: 'hl7_store_commit_seconds',
      help: 'Duration of store writes (insert and commit), by outcome',
      labelNames: ['outcome'] as const,
      buckets: latencyBuckets,
      registers,
    }),
  };
}
