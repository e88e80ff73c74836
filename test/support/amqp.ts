import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { describe } from 'vitest';

/**
 * RabbitMQ for integration tests, like test/support/mariadb.ts for MariaDB:
 *
 *   import { describeAmqp, testAmqpUrl, uniqueAmqpName, openTestConsumer } from '../support/amqp.ts';
 *
 *   describeAmqp('my feature on RabbitMQ', () => { … });
 *
 * - `HL7_TEST_AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672`) names the broker.
 * - When it cannot be reached, RabbitMQ suites are skipped with one loud line on stderr, unless
 *   `HL7_TEST_REQUIRE_AMQP=1`, which makes importing this module fail instead (use it in CI).
 * - Isolate each test with `uniqueAmqpName('prefix')` for exchanges and queues, and delete them after
 *   (`consumer.close()` deletes its queue and exchange).
 */

export const testAmqpUrl = process.env.HL7_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const required = process.env.HL7_TEST_REQUIRE_AMQP === '1';
const broker = new URL(testAmqpUrl);
const brokerName = `${broker.hostname}:${broker.port || '5672'}`;

/** The test URL pointed at another port on the same host (a TCP proxy in front of the broker). */
export function amqpUrlViaPort(port: number): string {
  const url = new URL(testAmqpUrl);
  url.port = String(port);
  return url.toString();
}

export function amqpHost(): { host: string; port: number } {
  return { host: broker.hostname, port: Number(broker.port || 5672) };
}

async function probe(): Promise<boolean> {
  try {
    const model = await connect(testAmqpUrl, { timeout: 2_000 });
    await model.close();
    return true;
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
    const cause = err instanceof Error && err.message !== '' ? err.message : code || String(err);
    if (required) throw new Error(`RabbitMQ not reachable at ${brokerName} and HL7_TEST_REQUIRE_AMQP=1: ${cause}`);
    process.stderr.write(
      `RabbitMQ not reachable at ${brokerName} (${cause}): SKIPPING RabbitMQ tests (set HL7_TEST_REQUIRE_AMQP=1 to fail instead)\n`,
    );
    return false;
  }
}

/** Known once, when this module loads, so that suites can `describe.skipIf(!amqpReachable)`. */
export const amqpReachable: boolean = await probe();

/** `amqpAvailable()` for code that asks rather than reads the constant. */
export function amqpAvailable(): boolean {
  return amqpReachable;
}

/** `describe`, skipped when RabbitMQ is not reachable (and not required). */
export const describeAmqp = describe.skipIf(!amqpReachable);

/** `hl7_test_<prefix>_<random>`: unique per call, for exchanges and queues. */
export function uniqueAmqpName(prefix: string): string {
  return `hl7_test_${prefix.replace(/[^a-z0-9]+/gi, '_')}_${randomBytes(4).toString('hex')}`;
}

/**
 * A consumer on a fresh queue bound to `exchange` (declared here, durable topic, as the sink does),
 * connected directly to the broker. Collects every delivery; `waitFor` resolves when a predicate on
 * what has been received holds, or rejects after `timeoutMs`.
 */
export type TestConsumer = {
  readonly channel: Channel;
  readonly queue: string;
  readonly received: ConsumeMessage[];
  waitFor(done: (received: readonly ConsumeMessage[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
};

export async function openTestConsumer(exchange: string, bindingKey = '#', queueArgs: Record<string, unknown> = {}): Promise<TestConsumer> {
  const model: ChannelModel = await connect(testAmqpUrl);
  const channel = await model.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  const queue = uniqueAmqpName('queue');
  await channel.assertQueue(queue, { durable: false, autoDelete: false, arguments: queueArgs });
  await channel.bindQueue(queue, exchange, bindingKey);
  const received: ConsumeMessage[] = [];
  let waiters: (() => void)[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message === null) return;
      received.push(message);
      channel.ack(message);
      const wake = waiters;
      waiters = [];
      for (const fn of wake) fn();
    },
    { noAck: false },
  );
  return {
    channel,
    queue,
    received,
    async waitFor(done, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(received)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`consumer: condition not met within ${timeoutMs} ms (${received.length} received)`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    async close() {
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
      await model.close();
    },
  };
}
