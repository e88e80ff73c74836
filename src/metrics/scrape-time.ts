import { Counter, Gauge, type Registry } from 'prom-client';

// Metrics whose values are kept by other components (connection sets, the MLLP server's and the
// retention job's running totals), read when Prometheus scrapes: no second bookkeeping to drift.

export type MetricsTransport = 'mllp' | 'https';

/** The MLLP server's running totals (MllpServer.counters satisfies it). */
export type MllpTotals = {
  readonly connectionsOpened: number;
  readonly connectionsRefused: number;
  readonly connectionsDenied: number;
  readonly tlsHandshakeFailures: number;
  readonly junkRuns: number;
  readonly oversizeFrames: number;
  readonly frameTimeouts: number;
};

/** The retention job's running totals (RetentionJob.totals satisfies it). */
export type RetentionTotals = {
  readonly passes: number;
  readonly failedPasses: number;
  readonly deletedAccepted: number;
  readonly deletedRejected: number;
};

export type ScrapeSources = {
  open: Map<MetricsTransport, () => number | Promise<number>>;
  mllp: () => MllpTotals | null;
  retention: () => RetentionTotals | null;
};

/** Metrics whose values live elsewhere (connection sets, the MLLP server's totals): read on scrape. */
export function defineScrapeTimeMetrics(registry: Registry, sources: ScrapeSources): void {
  const registers = [registry];
  new Gauge({
    name: 'hl7_open_connections',
    help: 'Open connections, by transport',
    labelNames: ['transport'] as const,
    registers,
    async collect() {
      for (const [transport, read] of sources.open) this.set({ transport }, await read());
    },
  });
  new Counter({
    name: 'hl7_mllp_framing_errors_total',
    help: 'MLLP framing errors: bytes outside a frame (junk runs), oversize frames, frames never completed',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      const totals = sources.mllp();
      if (totals === null) return;
      mirror(this, [
        [{ kind: 'junk' }, totals.junkRuns],
        [{ kind: 'oversize' }, totals.oversizeFrames],
        [{ kind: 'frame_timeout' }, totals.frameTimeouts],
      ]);
    },
  });
  new Counter({
    name: 'hl7_mllp_connections_total',
    help:
      'MLLP connections: accepted, refused at accept (cap reached, shutting down), denied (not in mllp.allow), ' +
      'tls_failed (TLS handshake or client certificate refused)',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      const totals = sources.mllp();
      if (totals === null) return;
      mirror(this, [
        [{ outcome: 'accepted' }, totals.connectionsOpened],
        [{ outcome: 'refused' }, totals.connectionsRefused],
        [{ outcome: 'denied' }, totals.connectionsDenied],
        [{ outcome: 'tls_failed' }, totals.tlsHandshakeFailures],
      ]);
    },
  });
  defineRetentionMetrics(registers, sources);
}

function defineRetentionMetrics(registers: Registry[], sources: ScrapeSources): void {
  new Counter({
    name: 'hl7_retention_deleted_rows_total',
    help: 'Rows deleted by the retention job, by status',
    labelNames: ['status'] as const,
    registers,
    collect() {
      const totals = sources.retention();
      if (totals === null) return;
      mirror(this, [
        [{ status: 'received' }, totals.deletedAccepted],
        [{ status: 'rejected' }, totals.deletedRejected],
      ]);
    },
  });
  new Counter({
    name: 'hl7_retention_passes_total',
    help: 'Retention passes, by outcome (failed: stopped by a store error)',
    labelNames: ['outcome'] as const,
    registers,
    collect() {
      const totals = sources.retention();
      if (totals === null) return;
      mirror(this, [
        [{ outcome: 'ok' }, totals.passes - totals.failedPasses],
        [{ outcome: 'failed' }, totals.failedPasses],
      ]);
    },
  });
}

/** A counter mirroring running totals kept elsewhere (the MLLP server's): set at scrape time. */
function mirror<L extends string>(counter: Counter<L>, totals: [Partial<Record<L, string>>, number][]): void {
  counter.reset();
  for (const [labels, total] of totals) counter.inc(labels, total);
}
