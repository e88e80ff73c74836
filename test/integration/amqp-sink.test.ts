import { connect } from 'amqplib';
import { expect, it } from 'vitest';
import { describeAmqp, testAmqpUrl, uniqueAmqpName } from '../support/amqp.ts';
import { capturingLog, sinkEvent, useAmqpSinkKit } from '../support/amqp-sink-kit.ts';
import { batchSocketWrites } from '../../src/processing/sinks/amqp-writes.ts';

// The amqp sink against a real RabbitMQ, working: what a consumer receives, confirms, nacks, events no
// queue is bound for, events that cannot be encoded, and what reaches the log.

const kit = useAmqpSinkKit();

describeAmqp('amqp sink on a real RabbitMQ', () => {
  it('the installed amqplib still has the internals that batch its socket writes (amqp-writes.ts)', async () => {
    const model = await connect(testAmqpUrl);
    try {
      expect(batchSocketWrites(model)).toBe(true);
      // Publishing still works through the wrapped Mux.
      const channel = await model.createConfirmChannel();
      await new Promise<void>((resolve, reject) => channel.publish('', 'amq.rabbitmq.reply-to-nowhere', Buffer.from('x'), {}, (err: unknown) => (err ? reject(err as Error) : resolve())));
    } finally {
      await model.close();
    }
  });

  it('publishes each event, confirmed, with routing key, properties, headers and body a consumer can use', async () => {
    const exchange = uniqueAmqpName('shape');
    const consumer = await kit.openConsumer(exchange);
    const sink = await kit.openSink(testAmqpUrl, exchange);
    expect(sink.ready?.()).toBe(true);
    const fhirBody = Buffer.from('{"resourceType":"Bundle","type":"transaction","entry":[]}');
    const events = [
      sinkEvent(),
      sinkEvent({ messageType: 'ORU', triggerEvent: 'R01', upstream: new Map([['fhir', { contentType: 'application/fhir+json', body: fhirBody }]]) }),
      sinkEvent({ messageType: null, triggerEvent: null, controlId: null, charset: 'ISO-8859-1', raw: Buffer.from('MSH|^~\\&|Z\u00fcrich\r', 'latin1') }),
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
    const consumer = await kit.openConsumer(exchange);
    await kit.openSink(testAmqpUrl, exchange);
    const model = await connect(testAmqpUrl);
    kit.defer(async () => model.close().catch(() => undefined));
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    await expect(channel.assertExchange(exchange, 'topic', { durable: false })).rejects.toThrow(/PRECONDITION_FAILED/);
    expect(consumer.queue).toBeTruthy();
  });

  it('reports a nacked event and every later event of the batch as transient failures', async () => {
    const exchange = uniqueAmqpName('nack');
    const consumer = await kit.openConsumer(exchange, 'hl7.ADT.*');
    // A queue that takes nothing and says so: RabbitMQ nacks what is routed to it.
    await kit.openConsumer(exchange, 'hl7.ORU.*', { 'x-max-length': 0, 'x-overflow': 'reject-publish' });
    const sink = await kit.openSink(testAmqpUrl, exchange);
    const results = await sink.deliver([sinkEvent(), sinkEvent({ messageType: 'ORU', triggerEvent: 'R01' }), sinkEvent()]);
    expect(results[0]).toEqual({ ok: true });
    expect(results[1]).toMatchObject({ ok: false, permanent: false, error: expect.stringMatching(/nack/) });
    expect(results[2]).toMatchObject({ ok: false, permanent: false, error: expect.stringMatching(/earlier event/) });
    await consumer.waitFor((received) => received.length === 2);
    expect(sink.ready?.()).toBe(true);
  });

  it('counts events no queue is bound for as delivered (RabbitMQ confirms them) and warns once with the routing key only', async () => {
    const exchange = uniqueAmqpName('unroutable');
    const consumer = await kit.openConsumer(exchange, 'hl7.ADT.#');
    const captured = capturingLog();
    const sink = await kit.openSink(testAmqpUrl, exchange, {}, captured.log);
    const orphans = [sinkEvent({ messageType: 'SIU', triggerEvent: 'S12' }), sinkEvent({ messageType: 'SIU', triggerEvent: 'S12' })];
    expect(await sink.deliver([...orphans, sinkEvent()])).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    await consumer.waitFor((received) => received.length === 1);
    const warnings = captured.text().split('\n').filter((line) => line.includes('no queue is bound'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"routingKey":"hl7.SIU.S12"');
    expect(captured.text()).not.toContain('p:HOSP:1');
    expect(captured.text()).not.toContain('MSH|');
  });

  it('fails an event amqplib cannot encode permanently, stops the batch there (later ones transient) and keeps the channel usable', async () => {
    const exchange = uniqueAmqpName('encode');
    const consumer = await kit.openConsumer(exchange);
    const sink = await kit.openSink(testAmqpUrl, exchange);
    // An ordering key longer than an AMQP header table can hold (amqplib encodes tables in 64 KiB).
    const batch = [sinkEvent(), sinkEvent({ orderingKey: 'k'.repeat(70_000) }), sinkEvent()];
    const results = await sink.deliver(batch);
    expect(results).toEqual([
      { ok: true },
      { ok: false, permanent: true, error: expect.stringMatching(/publish failed/) },
      { ok: false, permanent: false, error: expect.stringMatching(/earlier event/) },
    ]);
    // Nothing after the failed event was sent: a consumer never sees it ahead of the failed one.
    const next = sinkEvent();
    expect(await sink.deliver([next])).toEqual([{ ok: true }]);
    await consumer.waitFor((received) => received.some((m) => m.properties.messageId === String(next.id)));
    expect(consumer.received.map((m) => Number(m.properties.messageId))).toEqual([batch[0]!.id, next.id]);
  });
});
