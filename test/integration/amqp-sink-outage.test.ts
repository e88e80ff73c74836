import { connect } from 'amqplib';
import { expect, it } from 'vitest';
import { amqpSinkSchema } from '../../src/config/schema.ts';
import { createAmqpSink } from '../../src/processing/sinks/amqp.ts';
import { waitUntil } from '../support/fault-load.ts';
import { amqpUrlViaPort, describeAmqp, testAmqpUrl, uniqueAmqpName } from '../support/amqp.ts';
import { capturingLog, fastReconnect, sinkEvent, useAmqpSinkKit } from '../support/amqp-sink-kit.ts';
import { findClosedPort } from '../support/tcp-proxy.ts';

// The amqp sink when RabbitMQ is not there or misbehaves: confirms that never come, a broker down at
// start-up or stalled, a refused login, a bad URL, an exchange of another type or deleted under the
// sink, and close(). Delivery must fail fast and transiently, never hang, never log a password.

const kit = useAmqpSinkKit();

describeAmqp('amqp sink when the broker fails', () => {
  it('fails a batch whose confirms do not come within confirmTimeoutMs, then reconnects and delivers', async () => {
    const exchange = uniqueAmqpName('timeout');
    const consumer = await kit.openConsumer(exchange);
    const proxy = await kit.openProxy();
    const sink = await kit.openSink(amqpUrlViaPort(proxy.port), exchange, { confirmTimeoutMs: 300 });
    proxy.pause();
    const started = Date.now();
    const results = await sink.deliver([sinkEvent(), sinkEvent()]);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(results).toEqual([
      { ok: false, permanent: false, error: expect.stringMatching(/did not confirm .* within 300 ms/) },
      { ok: false, permanent: false, error: expect.stringMatching(/within 300 ms|earlier event/) },
    ]);
    expect(sink.ready?.()).toBe(false);
    proxy.restore();
    await waitUntil(() => sink.ready?.() === true, 10_000, 'the sink reconnects after the stall');
    const retry = sinkEvent();
    expect(await sink.deliver([retry])).toEqual([{ ok: true }]);
    await consumer.waitFor((received) => received.some((m) => m.properties.messageId === String(retry.id)));
  });

  it('starts with the broker down: not ready, fast transient failures naming the broker without its password', async () => {
    const port = await findClosedPort();
    const captured = capturingLog();
    const url = `amqp://guest:s3cr3t-pw@127.0.0.1:${port}`;
    const sink = await kit.openSink(url, uniqueAmqpName('down'), { connectTimeoutMs: 500 }, captured.log);
    expect(sink.ready?.()).toBe(false);
    const started = Date.now();
    const results = await sink.deliver([sinkEvent(), sinkEvent()]);
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
    const sink = await kit.openSink(url.toString(), uniqueAmqpName('login'), {}, captured.log);
    expect(sink.ready?.()).toBe(false);
    const [result] = await sink.deliver([sinkEvent()]);
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
    await kit.openConsumer(exchange);
    const sink = await createAmqpSink(amqpSinkSchema.parse({ url: testAmqpUrl, exchange }), capturingLog().log, fastReconnect);
    await sink.close?.();
    expect(sink.ready?.()).toBe(false);
    const down = await createAmqpSink(amqpSinkSchema.parse({ url: amqpUrlViaPort(await findClosedPort()), exchange }), capturingLog().log, fastReconnect);
    await down.close?.();
    expect(down.ready?.()).toBe(false);
  });

  it('with the broker stalled: answers transient failures and closes within the connect timeout instead of hanging', async () => {
    const exchange = uniqueAmqpName('stall');
    await kit.openConsumer(exchange);
    const proxy = await kit.openProxy();
    const config = amqpSinkSchema.parse({ url: amqpUrlViaPort(proxy.port), exchange, confirmTimeoutMs: 200, connectTimeoutMs: 500 });
    const sink = await createAmqpSink(config, capturingLog().log, fastReconnect);
    expect(sink.ready?.()).toBe(true);
    proxy.stall();
    const results = await sink.deliver([sinkEvent()]);
    expect(results).toEqual([{ ok: false, permanent: false, error: expect.stringMatching(/within 200 ms/) }]);
    const again = await sink.deliver([sinkEvent()]);
    expect(again).toEqual([{ ok: false, permanent: false, error: expect.stringMatching(/not connected to RabbitMQ/) }]);
    const started = Date.now();
    await sink.close?.();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('with an existing exchange of another type: stays not ready and says why in words an operator can act on', async () => {
    const exchange = uniqueAmqpName('mismatch');
    const model = await connect(testAmqpUrl);
    const channel = await model.createChannel();
    await channel.assertExchange(exchange, 'direct', { durable: true });
    kit.defer(async () => {
      await channel.deleteExchange(exchange);
      await model.close();
    });
    const captured = capturingLog();
    const sink = await kit.openSink(testAmqpUrl, exchange, {}, captured.log);
    expect(sink.ready?.()).toBe(false);
    const [result] = await sink.deliver([sinkEvent()]);
    expect(result).toMatchObject({ ok: false, permanent: false, error: expect.stringMatching(/inequivalent arg 'type' for exchange/) });
    expect(captured.text()).toContain('RabbitMQ not available');
  });

  it('with the exchange deleted under it: fails the batch as transient, declares the exchange again on a new connection, and delivers', async () => {
    const exchange = uniqueAmqpName('deleted');
    const captured = capturingLog();
    const sink = await kit.openSink(testAmqpUrl, exchange, {}, captured.log);
    const model = await connect(testAmqpUrl);
    kit.defer(async () => model.close());
    const admin = await model.createChannel();
    await admin.deleteExchange(exchange);
    // Publishing to a missing exchange is a channel error (404): the channel closes.
    const results = await sink.deliver([sinkEvent(), sinkEvent()]);
    expect(results.every((result) => !result.ok && !result.permanent)).toBe(true);
    expect(captured.text()).toContain('NOT_FOUND');
    await waitUntil(() => sink.ready?.() === true && captured.text().split('connected to RabbitMQ').length === 3, 10_000, 'a new connection');
    const consumer = await kit.openConsumer(exchange);
    const next = sinkEvent();
    expect(await sink.deliver([next])).toEqual([{ ok: true }]);
    await consumer.waitFor((received) => received.some((m) => m.properties.messageId === String(next.id)));
  });
});
