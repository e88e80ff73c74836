import { describe, expect, it } from 'vitest';
import type { ProcessingStats } from '../processing/control.ts';
import { createMetrics } from './metrics.ts';

// Processing metrics: the observer's counts and the backlog read at scrape time, with no PHI labels.

const backlog: ProcessingStats = {
  // The backlog scope: final states that grow with history are not counted at scrape time.
  counts: { received: 4, processing: 2, failed: 1 },
  oldestWaiting: { id: 7, receivedAt: new Date('2026-01-01T00:00:00Z'), ageSeconds: 42.5 },
  blocked: { count: 1, lanes: [{ orderingKey: 'p:secretdigest', failedId: 5, waiting: 3 }] },
};

describe('processing metrics', () => {
  it('counts what the engine reports: lag by final state, sink results and latency, retries, yielding', async () => {
    const metrics = createMetrics();
    const receivedAt = new Date('2026-01-01T00:00:00Z');
    metrics.processing.finished({ receivedAt, finishedAt: new Date('2026-01-01T00:00:00.300Z'), state: 'processed' });
    metrics.processing.finished({ receivedAt, finishedAt: new Date('2026-01-01T00:00:20Z'), state: 'failed' });
    metrics.processing.delivered('amqp', { ok: 3, transient: 1, permanent: 0 }, 0.02);
    metrics.processing.retrying('amqp');
    metrics.processing.retrying(null);
    metrics.processing.yielded(0.25);
    metrics.processing.yielded(0.5);
    const { body } = await metrics.render();
    expect(body).toContain('hl7_processing_lag_seconds_bucket{le="0.5",state="processed"} 1');
    expect(body).toContain('hl7_processing_lag_seconds_bucket{le="10",state="failed"} 0');
    expect(body).toContain('hl7_processing_lag_seconds_bucket{le="30",state="failed"} 1');
    expect(body).toContain('hl7_processing_sink_results_total{sink="amqp",result="ok"} 3');
    expect(body).toContain('hl7_processing_sink_results_total{sink="amqp",result="transient"} 1');
    expect(body).not.toContain('result="permanent"');
    expect(body).toContain('hl7_processing_sink_seconds_count{sink="amqp"} 1');
    expect(body).toContain('hl7_processing_retries_total{sink="amqp"} 1');
    expect(body).toContain('hl7_processing_retries_total{sink="none"} 1');
    expect(body).toContain('hl7_processing_ingest_yield_seconds_total 0.75');
  });

  it('reads the backlog at scrape time: events by state, blocked lanes, oldest waiting age; never a lane key', async () => {
    const metrics = createMetrics();
    let reads = 0;
    metrics.watchProcessing(async () => {
      reads += 1;
      return backlog;
    });
    const { body } = await metrics.render();
    expect(body).toContain('hl7_processing_events{state="received"} 4');
    expect(body).toContain('hl7_processing_events{state="failed"} 1');
    expect(body).not.toContain('hl7_processing_events{state="processed"}');
    expect(body).toContain('hl7_processing_blocked_lanes 1');
    expect(body).toContain('hl7_processing_oldest_waiting_seconds 42.5');
    expect(body).not.toContain('secretdigest');
    expect(reads).toBeGreaterThan(0);
  });

  it('still answers a scrape when the backlog cannot be read, without stale backlog values', async () => {
    const metrics = createMetrics();
    let fail = false;
    metrics.watchProcessing(() => (fail ? Promise.reject(new Error('db down')) : Promise.resolve(backlog)));
    expect((await metrics.render()).body).toContain('hl7_processing_blocked_lanes 1');
    fail = true;
    const { body } = await metrics.render();
    expect(body).toContain('# TYPE hl7_processing_blocked_lanes gauge');
    expect(body).not.toContain('hl7_processing_blocked_lanes 1');
    expect(body).not.toContain('hl7_processing_events{');
  });
});
