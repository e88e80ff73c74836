import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../test/support/memory-store.ts';
import { newRow } from '../../test/support/rows.ts';
import type { Ingest } from '../ingest/deps.ts';
import type { IngestOutcome } from '../ingest/outcome.ts';
import { instrumentIngest, instrumentStore } from './instrument.ts';
import { createMetrics } from './metrics.ts';

const outcome: IngestOutcome = {
  ack: Buffer.from('MSH|^~\\&\rMSA|AA|1'),
  ackCode: 'AA',
  result: 'accept',
  stored: true,
  issues: [],
  httpStatus: 200,
  controlId: '1',
  messageType: 'ADT',
  triggerEvent: 'A01',
};

const row = newRow();

function metricLine(body: string, prefix: string): string | undefined {
  return body.split('\n').find((line) => line.startsWith(prefix));
}

describe('instrumentIngest', () => {
  it('counts a message in flight until ingest answers, then observes its outcome', async () => {
    const metrics = createMetrics({ acceptedTypes: { ADT: ['A01'] } });
    let release: (o: IngestOutcome) => void = () => {};
    const pending = new Promise<IngestOutcome>((resolve) => (release = resolve));
    const ingest: Ingest = () => pending;
    const wrapped = instrumentIngest(ingest, metrics);
    const answer = wrapped({ kind: 'message', bytes: Buffer.from('x') }, { transport: 'mllp', remoteAddress: null });
    expect(metricLine((await metrics.render()).body, 'hl7_in_flight_messages{transport="mllp"}')).toMatch(/ 1$/);
    release(outcome);
    expect(await answer).toBe(outcome);
    const body = (await metrics.render()).body;
    expect(metricLine(body, 'hl7_in_flight_messages{transport="mllp"}')).toMatch(/ 0$/);
    expect(metricLine(body, 'hl7_messages_total{')).toContain('event="A01"');
  });

  it('releases the in-flight count when ingest throws, and passes the error on', async () => {
    const metrics = createMetrics();
    const failing: Ingest = async () => {
      throw new Error('boom');
    };
    await expect(instrumentIngest(failing, metrics)({ kind: 'message', bytes: Buffer.from('x') }, { transport: 'https', remoteAddress: null })).rejects.toThrow('boom');
    expect(metricLine((await metrics.render()).body, 'hl7_in_flight_messages{transport="https"}')).toMatch(/ 0$/);
  });
});

describe('instrumentStore', () => {
  it('times writes, passes reads and test-store fields through', async () => {
    const metrics = createMetrics();
    const memory = createMemoryStore();
    const store = instrumentStore(memory, metrics);
    expect(await store.insertMessage(row)).toEqual({ inserted: true, id: 1 });
    memory.failWith = new Error('down');
    await expect(store.insertMessages([row])).rejects.toThrow('down');
    memory.failWith = null;
    expect((await store.listMessages({})).map((r) => r.id)).toEqual([1]);
    (store as typeof memory).failWith = new Error('set through the wrapper');
    await expect(memory.ping()).rejects.toThrow('set through the wrapper');
    const body = (await metrics.render()).body;
    expect(metricLine(body, 'hl7_store_commit_seconds_count{outcome="ok"}')).toMatch(/ 1$/);
    expect(metricLine(body, 'hl7_store_commit_seconds_count{outcome="error"}')).toMatch(/ 1$/);
  });
});
