import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, expect, it } from 'vitest';
import { amqpSinkSchema } from '../../src/config/schema.ts';
import type { Sink, SinkEvent } from '../../src/processing/sink.ts';
import { createAmqpSink } from '../../src/processing/sinks/amqp.ts';
import { amqpHost, amqpUrlViaPort, describeAmqp, openTestConsumer, testAmqpUrl, uniqueAmqpName, type TestConsumer } from '../support/amqp.ts';
import { createTcpProxy, findClosedPort, type TcpProxy } from '../support/tcp-proxy.ts';

// The amqp sink against a real RabbitMQ: what a consumer receives, confirms, nacks, timeouts, a broker
// that is down or cut mid-run, and what reaches the log.

const fastReconnect = { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } };

function capturingLog(): { log: pino.Logger; text(): string } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), text: () => lines.join('') };
}

let nextId = 1;
function event(overrides: Partial<SinkEvent> = {}): SinkEvent {
  const id = nextId++;
  return {
    id,
    receivedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
    controlId: `C${id}`,
    messageType: 'ADT',
    triggerEvent: 'A01',
    version: '2.5',
    sendingApplication: 'APP',
    sendingFacility: 'FAC',
    orderingKey: 'p:HOSP:1',
    charset: null,
    raw: Buffer.from(`MSH|^~\\&|APP|FAC|||20260102030405||ADT^A01|C${id}|P|2.5\rPID|1||1^^^HOSP\r`, 'latin1'),
    upstream: new Map(),
    ...overrides,
  };
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openSink(url: string, exchange: string, extra: Partial<{ confirmTimeoutMs: number; connectTimeoutMs: number }> = {}, log = capturingLog().log): Promise<Sink> {
  const sink = await createAmqpSink(amqpSinkSchema.parse({ url, exchange, ...extra }), log, fastReconnect);
  cleanups.push(async () => sink.close?.());
  return sink;
}

async function openConsumer(exchange: string, bindingKey?: string, args?: Record<string, unknown>): Promise<TestConsumer> {
  const consumer = await openTestConsumer(exchange, bindingKey, args);
  cleanups.push(() => consumer.close());
  return consumer;
}

async function openProxy(): Promise<TcpProxy> {
  const { host, port } = amqpHost();
  const proxy = await createTcpProxy(host, port);
  cleanups.push(() => proxy.close());
  return proxy;
}

describeAmqp('amqp sink on a real RabbitMQ', () => {
  it('publishes each event, confirmed, with routing key, properties, headers and body a consumer can use', async () => {
    const exchange = uniqueAmqpName('shape');
    const consumer = await openConsumer(exchange);
    const sink = await openSink(testAmqpUrl, exchange);
    expect(sink.ready?.()).toBe(true);
    const fhirBody = Buffer.from('{"resourceType":"Bundle","type":"transaction","entry":[]}');
    const events = [
      event(),
      event({ messageType: 'ORU', triggerEvent: 'R01', upstream: new Map([['fhir', { contentType: 'application/fhir+json', body: fhirBody }]]) }),
      event({ messageType: null, triggerEvent: null, controlId: null, charset: 'ISO-8859-1', raw: Buffer.from('MSH|^~\\&|Z\u00fcrich\r', 'latin1') }),
    ];
    expect(await sink.deliver(events)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    await consumer.waitFor((received) => received.length === 3);
    const [adt, oru, bare] = consumer.received;
    expect(adt?.fields.routingKey).toBe('hl7.ADT.A01');
    expect(adt?.content.equals(events[0]!.raw)).toBe(true);
    expect(adt?.properties).toMatchObject({
      messageId: String(events[0]!.id),
      contentType: 'x-application/hl7-v2+er7',
      deliveryMode: 2,
      timestamp: Math.floor(events[0]!.receivedAt.getTime() / 1000),
      headers: {
        'x-hl7-message-id': events[0]!.id,
        'x-hl7-control-id': events[0]!.controlId,
        'x-hl7-ordering-key': 'p:HOSP:1',
        'x-hl7-type': 'ADT',
        'x-hl7-event': 'A01',
        'x-hl7-received-at': '2026-01-02T03:04:05.678Z',
      },
    });
    expect(oru?.fields.routingKey).toBe('hl7.ORU.R01');
    expect(oru?.properties.contentType).toBe('application/fhir+json');
    expect(oru?.content.equals(fhirBody)).toBe(true);
    expect(bare?.fields.routingKey).toBe('hl7.unknown.unknown');
    expect(bare?.properties.contentType).toBe('x-application/hl7-v2+er7; charset=ISO-8859-1');
    expect(bare?.content.equals(events[2]!.raw)).toBe(true);
    expect(Object.keys(bare?.properties.headers ?? {})).not.toContain('x-hl7-control-id');
  });

  it('declares the exchange as a durable topic exchange (a non-durable declaration of it is refused)', async () => {
    const exchange = uniqueAmqpName('durable');
    const consumer = await openConsumer(exchange);
    await openSink(testAmqpUrl, exchange);
    const model = await (await import('amqplib')).connect(testAmqpUrl);
    cleanups.push(async () => model.close().catch(() => undefined));
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    await expect(channel.assertExchange(exchange, 'topic', { durable: false })).rejects.toThrow(/PRECONDITION_FAILED/);
    expect(consumer.queue).toBeTruthy();
  });

  it('reports a nacked event and every later event of the batch as transient failures', async () => {
    const exchange = uniqueAmqpName('nack');
    const consumer = await openConsumer(exchange, 'hl7.ADT.*');
    // A queue that takes nothing and says so: RabbitMQ nacks what is routed to it.
    await openConsumer(exchange, 'hl7.ORU.*', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const sink = await openSink(testAmqpUrl, exchange);
    const results = await sink.deliver([event(), event({ messageType: 'ORU', triggerEvent: 'R01' }), event()]);
    expect(results[0]).toEqual({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, permanent: false, error: expect.stringMatching(/nack/) });
    expect(results[2]).toMatchObject({ ok: false, permanent: false, error: expect.stringMatching(/earlier event/) });
    await consumer.waitFor((received) => received.length === 2);
    expect(sink.ready?.()).toBe(true);
  });

  it('fails a batch whose confirms do not come within confirmTimeoutMs, then reconnects and delivers', async () => {
    const exchange = uniqueAmqpName('timeout');
    const consumer = await openConsumer(exchange);
    const proxy = await openProxy();
    const sink = await openSink(amqpUrlViaPort(proxy.port), exchange, { confirmTimeoutMs: 300 });
    proxy.pause();
    const started = Date.now();
    const results = await sink.deliver([event(), event()]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(results).toEqual([
      { ok: false, permanent: false, error: expect.stringMatching(/did not confirm .* within 300 ms/) },
      { ok: false, permanent: false, error: expect.stringMatching(/within 300 ms|earlier event/) },
    ]);
    expect(sink.ready?.()).toBe(false);
    proxy.restore();
    await waitUntil(() => sink.ready?.() === true, 'the sink reconnects after the stall');
    const retry = event();
    expect(await sink.deliver([retry])).toEqual([{ ok: true }]);
    await consumer.waitFor((received) => received.some((m) => m.properties.messageId === String(retry.id)));
  });

  it('starts with the broker down: not ready, fast transient failures naming the broker without its password', async () => {
    const port = await findClosedPort();
    const captured = capturingLog();
    const url = `amqp://guest:s3cr3t-pw@127.0.0.1:${port}`;
    const sink = await openSink(url, uniqueAmqpName('down'), { connectTimeoutMs: 500 }, captured.log);
    expect(sink.ready?.()).toBe(false);
    const started = Date.now();
    const results = await sink.deliver([event(), event()]);
    expect(Date.now() - started).toBeLessThan(200);
    for (const result of results) {
      expect(result).toMatchObject({ ok: false, permanent: false, error: expect.stringContaining(`amqp://guest@127.0.0.1:${port}`) });
      expect(JSON.stringify(result)).not.toContain('s3cr3t-pw');
    }
    expect(captured.text()).toContain('RabbitMQ not available');
    expect(captured.text()).not.toContain('s3cr3t-pw');
  });

  it('never logs the password of a login the broker refuses', async () => {
    const captured = capturingLog();
    const url = new URL(testAmqpUrl);
    url.password = 'wrong-s3cr3t';
    const sink = await openSink(url.toString(), uniqueAmqpName('login'), {}, captured.log);
    expect(sink.ready?.()).toBe(false);
    const [result] = await sink.deliver([event()]);
    expect(result).toMatchObject({ ok: false, permanent: false, error: expect.stringMatching(/ACCESS.REFUSED/) });
    expect(captured.text()).not.toContain('wrong-s3cr3t');
  });

  it('refuses a URL that is not amqp:// or amqps:// at start-up, without echoing it', async () => {
    const options = amqpSinkSchema.parse({ url: 'http://user:pw-s3cr3t@host/' });
    await expect(createAmqpSink(options, capturingLog().log)).rejects.toThrow(/must start with amqp:\/\/ or amqps:\/\//);
    await expect(createAmqpSink({ ...options, url: 'not a url' }, capturingLog().log)).rejects.toThrow(/not a URL/);
  });

  it('closes cleanly, connected or not', async () => {
    const exchange = uniqueAmqpName('close');
    await openConsumer(exchange);
    const sink = await createAmqpSink(amqpSinkSchema.parse({ url: testAmqpUrl, exchange }), capturingLog().log, fastReconnect);
    await sink.close?.();
    expect(sink.ready?.()).toBe(false);
    const down = await createAmqpSink(amqpSinkSchema.parse({ url: amqpUrlViaPort(await findClosedPort()), exchange }), capturingLog().log, fastReconnect);
    await down.close?.();
    expect(down.ready?.()).toBe(false);
  });
});

describeAmqp('amqp sink: events no queue is bound for', () => {
  it('counts them delivered (RabbitMQ confirms them) and warns once with the routing key only', async () => {
    const exchange = uniqueAmqpName('unroutable');
    const consumer = await openConsumer(exchange, 'hl7.ADT.#');
    const captured = capturingLog();
    const sink = await openSink(testAmqpUrl, exchange, {}, captured.log);
    const orphans = [event({ messageType: 'SIU', triggerEvent: 'S12' }), event({ messageType: 'SIU', triggerEvent: 'S12' })];
    expect(await sink.deliver([...orphans, event()])).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    await consumer.waitFor((received) => received.length === 1);
    const warnings = captured.text().split('\n').filter((line) => line.includes('no queue is bound'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"routingKey":"hl7.SIU.S12"');
    expect(captured.text()).not.toContain('p:HOSP:1');
    expect(captured.text()).not.toContain('MSH|');
  });
});

describeAmqp('amqp sink: a stalled broker', () => {
  it('answers transient failures and closes within the connect timeout instead of hanging', async () => {
    const exchange = uniqueAmqpName('stall');
    await openConsumer(exchange);
    const proxy = await openProxy();
    const config = amqpSinkSchema.parse({ url: amqpUrlViaPort(proxy.port), exchange, confirmTimeoutMs: 200, connectTimeoutMs: 500 });
    const sink = await createAmqpSink(config, capturingLog().log, fastReconnect);
    expect(sink.ready?.()).toBe(true);
    proxy.stall();
    const results = await sink.deliver([event()]);
    expect(results).toEqual([{ ok: false, permanent: false, error: expect.stringMatching(/within 200 ms/) }]);
    const again = await sink.deliver([event()]);
    expect(again).toEqual([{ ok: false, permanent: false, error: expect.stringMatching(/not connected to RabbitMQ/) }]);
    const started = Date.now();
    await sink.close?.();
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describeAmqp('amqp sink: an event that cannot be encoded', () => {
  it('fails it permanently, the later ones transiently, and keeps the channel usable', async () => {
    const exchange = uniqueAmqpName('encode');
    const consumer = await openConsumer(exchange);
    const sink = await openSink(testAmqpUrl, exchange);
    // An ordering key longer than an AMQP header table can hold (amqplib encodes tables in 64 KiB).
    const batch = [event(), event({ orderingKey: 'k'.repeat(70_000) }), event()];
    const results = await sink.deliver(batch);
    expect(results).toEqual([
      { ok: true },
      { ok: false, permanent: true, error: expect.stringMatching(/publish failed/) },
      { ok: false, permanent: false, error: expect.stringMatching(/earlier event/) },
    ]);
    // Nothing after the failed event was sent: a consumer never sees it ahead of the failed one.
    const next = event();
    expect(await sink.deliver([next])).toEqual([{ ok: true }]);
    await consumer.waitFor((received) => received.some((m) => m.properties.messageId === String(next.id)));
    expect(consumer.received.map((m) => Number(m.properties.messageId))).toEqual([batch[0]!.id, next.id]);
  });
});

describeAmqp('amqp sink: an exchange of another type', () => {
  it('stays not ready and says why in words an operator can act on', async () => {
    const exchange = uniqueAmqpName('mismatch');
    const model = await (await import('amqplib')).connect(testAmqpUrl);
    const channel = await model.createChannel();
    await channel.assertExchange(exchange, 'direct', { durable: true });
    cleanups.push(async () => {
      await channel.deleteExchange(exchange);
      await model.close();
    });
    const captured = capturingLog();
    const sink = await openSink(testAmqpUrl, exchange, {}, captured.log);
    expect(sink.ready?.()).toBe(false);
    const [result] = await sink.deliver([event()]);
    expect(result).toMatchObject({ ok: false, permanent: false, error: expect.stringMatching(/inequivalent arg 'type' for exchange/) });
    expect(captured.text()).toContain('RabbitMQ not available');
  });
});

describeAmqp('amqp sink: the exchange deleted under it', () => {
  it('fails the batch as transient, declares the exchange again on a new channel, and delivers', async () => {
    const exchange = uniqueAmqpName('deleted');
    const captured = capturingLog();
    const sink = await openSink(testAmqpUrl, exchange, {}, captured.log);
    const model = await (await import('amqplib')).connect(testAmqpUrl);
    cleanups.push(async () => model.close());
    const admin = await model.createChannel();
    await admin.deleteExchange(exchange);
    // Publishing to a missing exchange is a channel error (404): the channel closes.
    const results = await sink.deliver([event(), event()]);
    expect(results.every((result) => !result.ok && !result.permanent)).toBe(true);
    expect(captured.text()).toContain('NOT_FOUND');
    await waitUntil(() => sink.ready?.() === true && captured.text().split('connected to RabbitMQ').length === 3, 'a new connection');
    const consumer = await openConsumer(exchange);
    const next = event();
    expect(await sink.deliver([next])).toEqual([{ ok: true }]);
    await consumer.waitFor((received) => received.some((m) => m.properties.messageId === String(next.id)));
  });
});
