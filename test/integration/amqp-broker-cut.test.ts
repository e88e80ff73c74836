import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { amqpSinkSchema } from '../../src/config/schema.ts';
import type { Sink, SinkEvent } from '../../src/processing/sink.ts';
import { createAmqpSink } from '../../src/processing/sinks/amqp.ts';
import { amqpHost, amqpUrlViaPort, describeAmqp, openTestConsumer, uniqueAmqpName, type TestConsumer } from '../support/amqp.ts';
import { waitUntil } from '../support/fault-load.ts';
import { createTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

// The broker connection cut twice mid-run (a TCP proxy in front of RabbitMQ), while the test drives the
// sink as the engine does: batches in order, failed events retried in order after the sink is ready
// again. A consumer bound to the exchange must see every event, and after dropping redeliveries by
// message id, each key's events in send order.

const eventCount = 600;
const keyCount = 7;
const batchSize = 25;

function events(): SinkEvent[] {
  return Array.from({ length: eventCount }, (_, index) => {
    const id = index + 1;
    // An irregular spread, so batches mix keys unevenly.
    const key = `p:HOSP:${(id * 5 + Math.floor(id / 11)) % keyCount}`;
    return {
      id,
      receivedAt: new Date(Date.UTC(2026, 0, 1) + id),
      controlId: `C${id}`,
      messageType: 'ADT',
      triggerEvent: id % 3 === 0 ? 'A08' : 'A01',
      version: '2.5',
      sendingApplication: 'APP',
      sendingFacility: 'FAC',
      orderingKey: key,
      charset: null,
      raw: Buffer.from(`MSH|^~\\&|APP|FAC|||20260101||ADT^A01|C${id}|P|2.5\r`, 'latin1'),
      upstream: new Map(),
    };
  });
}

describeAmqp('amqp sink with the broker cut mid-run', () => {
  const exchange = uniqueAmqpName('cut');
  let consumer: TestConsumer;
  let proxy: TcpProxy;
  let sink: Sink;

  beforeAll(async () => {
    consumer = await openTestConsumer(exchange);
    const { host, port } = amqpHost();
    proxy = await createTcpProxy(host, port);
    const config = amqpSinkSchema.parse({ url: amqpUrlViaPort(proxy.port), exchange, confirmTimeoutMs: 2_000, connectTimeoutMs: 1_000 });
    sink = await createAmqpSink(config, pino({ level: 'silent' }), { reconnect: { initialDelayMs: 50, maxDelayMs: 400 } });
  });

  afterAll(async () => {
    await sink?.close?.();
    await proxy?.close();
    await consumer?.close();
  });

  it('loses nothing and keeps each key in send order after dropping redeliveries', async () => {
    const all = events();
    let pending = all;
    let batches = 0;
    let failedWhileDown = 0;
    let cutBatches = 0;
    while (pending.length > 0) {
      const batch = pending.slice(0, batchSize);
      batches += 1;
      const cutNow = batches === 4 || batches === 13;
      const delivering = sink.deliver(batch);
      if (cutNow) proxy.cut();
      const results = await delivering;
      expect(results).toHaveLength(batch.length);
      const okPrefix = results.findIndex((result) => !result.ok);
      const done = okPrefix === -1 ? batch.length : okPrefix;
      // Results are ok up to the first failure and failed after it: never an ok after a failure.
      expect(results.slice(done).every((result) => !result.ok && !result.permanent)).toBe(true);
      pending = pending.slice(done);
      if (cutNow) {
        expect(done).toBeLessThan(batch.length);
        cutBatches += 1;
        // While the broker is away, delivery fails fast and the sink says it is not ready.
        await waitUntil(() => sink.ready?.() === false, 10_000, 'the sink notices the cut');
        for (let attempt = 0; attempt < 3; attempt += 1) {
          const started = Date.now();
          const down = await sink.deliver(pending.slice(0, batchSize));
          expect(Date.now() - started).toBeLessThan(500);
          expect(down.every((result) => !result.ok && !result.permanent)).toBe(true);
          failedWhileDown += 1;
        }
        proxy.restore();
      }
      if (done < batch.length) await waitUntil(() => sink.ready?.() === true, 10_000, 'the sink reconnects');
    }
    expect(cutBatches).toBe(2);
    expect(failedWhileDown).toBe(6);

    await consumer.waitFor((received) => new Set(received.map((m) => m.properties.messageId)).size === eventCount, 20_000);
    const seen = new Set<string>();
    const firstSeen: { id: number; key: string }[] = [];
    for (const message of consumer.received) {
      const messageId = String(message.properties.messageId);
      if (seen.has(messageId)) continue;
      seen.add(messageId);
      firstSeen.push({ id: Number(messageId), key: String(message.properties.headers?.['x-hl7-ordering-key']) });
    }
    expect(firstSeen.map((m) => m.id).sort((a, b) => a - b)).toEqual(all.map((e) => e.id));
    for (let key = 0; key < keyCount; key += 1) {
      const name = `p:HOSP:${key}`;
      const sent = all.filter((e) => e.orderingKey === name).map((e) => e.id);
      expect(sent.length).toBeGreaterThan(0);
      expect(firstSeen.filter((m) => m.key === name).map((m) => m.id)).toEqual(sent);
    }
  });
});
