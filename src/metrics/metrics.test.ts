import { describe, expect, it } from 'vitest';
import { createMetrics, type MllpTotals, type ObservedOutcome } from './metrics.ts';

// The text format is what Prometheus reads, so the tests read it too.

function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = /\{([^}]*)\}/.exec(line)?.[1] ?? '';
    const have = labelText === '' ? [] : labelText.split(',');
    if (wanted.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

const accepted: ObservedOutcome = { ackCode: 'AA', result: 'accept', stored: true, messageType: 'ADT', triggerEvent: 'A01' };

describe('createMetrics', () => {
  it('keeps running totals in memory, unchanged by a scrape, for the console overview', async () => {
    const metrics = createMetrics({ acceptedTypes: { ADT: ['A01'] } });
    metrics.observeIngest('mllp', accepted, 0.001);
    await metrics.render();
    metrics.observeIngest('https', accepted, 0.001);
    metrics.observeIngest('https', { ...accepted, messageType: 'QRY', ackCode: 'AR', result: 'reject' }, 0.001);
    metrics.observeIngest('mllp', { ...accepted, ackCode: null }, 0.001);
    metrics.processing.finished({ receivedAt: new Date(0), finishedAt: new Date(5), state: 'processed' });
    metrics.processing.finished({ receivedAt: new Date(0), finishedAt: new Date(5), state: 'failed' });
    await metrics.render();
    expect(metrics.totals()).toEqual({
      received: 4,
      refused: 1,
      byType: { ADT: 3, other: 1 },
      byAck: { AA: 2, AR: 1, none: 1 },
      finished: { processed: 1, failed: 1 },
    });
  });

  it('reads the open connections of each watched door, 0 for one not watched', async () => {
    const metrics = createMetrics();
    expect(await metrics.openConnections()).toEqual({ mllp: 0, https: 0 });
    metrics.watchOpenConnections('mllp', () => 3);
    metrics.watchOpenConnections('https', async () => 2);
    expect(await metrics.openConnections()).toEqual({ mllp: 3, https: 2 });
  });

  it('counts messages by transport, type, event, ACK code and result', async () => {
    const metrics = createMetrics({ acceptedTypes: { ADT: ['A01'] } });
    metrics.observeIngest('mllp', accepted, 0.004);
    metrics.observeIngest('mllp', accepted, 0.006);
    metrics.observeIngest('https', { ...accepted, messageType: 'QRY', triggerEvent: 'Q01', ackCode: 'AR', result: 'reject' }, 0.001);
    const { body, contentType } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain/);
    expect(sample(body, 'hl7_messages_total', { transport: 'mllp', type: 'ADT', event: 'A01', ack_code: 'AA', result: 'accept' })).toBe(2);
    expect(sample(body, 'hl7_messages_total', { transport: 'https', type: 'other', event: 'other', ack_code: 'AR' })).toBe(1);
    expect(sample(body, 'hl7_refused_messages_total', { transport: 'https', ack_code: 'AR' })).toBe(1);
    expect(sample(body, 'hl7_ack_latency_seconds_count', { transport: 'mllp' })).toBe(2);
    expect(sample(body, 'hl7_ack_latency_seconds_bucket', { transport: 'mllp', le: '0.005' })).toBe(1);
  });

  it('counts duplicates, refusals and store failures apart', async () => {
    const metrics = createMetrics();
    metrics.observeIngest('mllp', { ...accepted, result: 'duplicate', stored: false }, 0.001);
    metrics.observeIngest('mllp', { ...accepted, ackCode: 'AE', result: 'error' }, 0.001);
    metrics.observeIngest('mllp', { ...accepted, ackCode: 'AR', result: 'reject', stored: false }, 0.001);
    metrics.observeIngest('mllp', { ...accepted, ackCode: null }, 0.001);
    const { body } = await metrics.render();
    expect(sample(body, 'hl7_duplicate_messages_total', { transport: 'mllp' })).toBe(1);
    expect(sample(body, 'hl7_refused_messages_total', { ack_code: 'AE' })).toBe(1);
    expect(sample(body, 'hl7_refused_messages_total', { ack_code: 'AR' })).toBe(1);
    expect(sample(body, 'hl7_store_failures_total', { transport: 'mllp' })).toBe(1);
    expect(sample(body, 'hl7_messages_total', { ack_code: 'none' })).toBe(1);
  });

  it('tracks in-flight messages and commit latency', async () => {
    const metrics = createMetrics();
    const first = metrics.startMessage('mllp');
    metrics.startMessage('mllp');
    first();
    first(); // a second call must not count twice
    metrics.observeCommit(0.002);
    metrics.observeCommit(0.5, false);
    const { body } = await metrics.render();
    expect(sample(body, 'hl7_in_flight_messages', { transport: 'mllp' })).toBe(1);
    expect(sample(body, 'hl7_in_flight_messages', { transport: 'https' })).toBe(0);
    expect(sample(body, 'hl7_store_commit_seconds_count', { outcome: 'ok' })).toBe(1);
    expect(sample(body, 'hl7_store_commit_seconds_count', { outcome: 'error' })).toBe(1);
  });

  it('reads open connections and MLLP totals at scrape time', async () => {
    const metrics = createMetrics();
    const totals: MllpTotals & { junkRuns: number } = {
      connectionsOpened: 5,
      connectionsRefused: 1,
      connectionsDenied: 4,
      tlsHandshakeFailures: 6,
      junkRuns: 2,
      oversizeFrames: 1,
      frameTimeouts: 0,
    };
    let open = 3;
    metrics.watchMllp(() => totals);
    metrics.watchOpenConnections('mllp', () => open);
    metrics.watchOpenConnections('https', async () => 7);
    let body = (await metrics.render()).body;
    expect(sample(body, 'hl7_open_connections', { transport: 'mllp' })).toBe(3);
    expect(sample(body, 'hl7_open_connections', { transport: 'https' })).toBe(7);
    expect(sample(body, 'hl7_mllp_framing_errors_total', { kind: 'junk' })).toBe(2);
    expect(sample(body, 'hl7_mllp_framing_errors_total', { kind: 'oversize' })).toBe(1);
    expect(sample(body, 'hl7_mllp_framing_errors_total', { kind: 'frame_timeout' })).toBe(0);
    expect(sample(body, 'hl7_mllp_connections_total', { outcome: 'refused' })).toBe(1);
    expect(sample(body, 'hl7_mllp_connections_total', { outcome: 'denied' })).toBe(4);
    expect(sample(body, 'hl7_mllp_connections_total', { outcome: 'tls_failed' })).toBe(6);
    totals.junkRuns = 4;
    open = 0;
    body = (await metrics.render()).body;
    expect(sample(body, 'hl7_mllp_framing_errors_total', { kind: 'junk' })).toBe(4);
    expect(sample(body, 'hl7_open_connections', { transport: 'mllp' })).toBe(0);
  });

  it('reads the retention totals at scrape time', async () => {
    const metrics = createMetrics();
    const totals = { passes: 3, failedPasses: 1, deletedAccepted: 40, deletedRejected: 2 };
    metrics.watchRetention(() => totals);
    const body = (await metrics.render()).body;
    expect(sample(body, 'hl7_retention_deleted_rows_total', { status: 'received' })).toBe(40);
    expect(sample(body, 'hl7_retention_deleted_rows_total', { status: 'rejected' })).toBe(2);
    expect(sample(body, 'hl7_retention_passes_total', { outcome: 'ok' })).toBe(2);
    expect(sample(body, 'hl7_retention_passes_total', { outcome: 'failed' })).toBe(1);
  });

  it('keeps each app in its own registry', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.observeIngest('mllp', accepted, 0.001);
    expect(sample((await b.render()).body, 'hl7_messages_total')).toBeUndefined();
    expect(sample((await a.render()).body, 'hl7_messages_total')).toBe(1);
  });
});
