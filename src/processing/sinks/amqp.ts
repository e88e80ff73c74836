import type { ConfirmChannel } from 'amqplib';
import type { Logger } from 'pino';
import type { AmqpSinkConfig } from '../../config/schema.ts';
import type { Sink, SinkEvent, SinkResult } from '../sink.ts';
import { buildAmqpMessage } from './amqp-message.ts';
import { openAmqpLink, type AmqpLink, type ReconnectOptions } from './amqp-link.ts';

// The `amqp` sink: every event becomes one persistent message on a durable topic exchange, and is
// done only once RabbitMQ confirmed it (publisher confirms). One channel, publishes in batch order,
// so a key's events reach a queue in order (AMQP 0-9-1 §4.7). A failure reports the failed event and
// every later event of the batch as transient, so the engine never gets ahead of a failed event.

export type AmqpSinkOptions = { reconnect?: ReconnectOptions };

const defaultReconnect: ReconnectOptions = { initialDelayMs: 500, maxDelayMs: 30_000 };

type Outcome = { ok: true } | { ok: false; error: string; timedOut?: true; permanent?: true };

/**
 * Connects at once and returns after the first attempt; a broker that is down at start-up does not
 * stop the service: the sink reports not ready, answers transient failures, and keeps reconnecting.
 */
export async function createAmqpSink(config: AmqpSinkConfig, log: Logger, options: AmqpSinkOptions = {}): Promise<Sink> {
  const sinkLog = log.child({ component: 'amqp-sink' });
  const link = await openAmqpLink(config, sinkLog, options.reconnect ?? defaultReconnect);
  return {
    name: 'amqp',
    // One channel, publishes in call order, results in order (inOrder below).
    keepsOrder: true,
    ready: () => link.channel() !== null,
    deliver: (events) => deliverBatch(link, config, events),
    close: () => link.close(),
  };
}

async function deliverBatch(link: AmqpLink, config: AmqpSinkConfig, events: readonly SinkEvent[]): Promise<SinkResult[]> {
  const channel = link.channel();
  if (channel === null) {
    const error = link.downReason();
    return events.map(() => ({ ok: false, permanent: false, error }));
  }
  const confirms = await publishInOrder(channel, config, events);
  const outcomes = await awaitConfirms(confirms, config.confirmTimeoutMs);
  if (outcomes.some((outcome) => !outcome.ok && outcome.timedOut === true)) {
    link.abandon(`no publisher confirm within ${config.confirmTimeoutMs} ms`);
  }
  return inOrder(outcomes);
}

/** Publishes each event in order, waiting for `drain` when amqplib's buffer is full. */
async function publishInOrder(channel: ConfirmChannel, config: AmqpSinkConfig, events: readonly SinkEvent[]): Promise<Promise<Outcome>[]> {
  const confirms: Promise<Outcome>[] = [];
  for (const event of events) {
    const message = buildAmqpMessage(event);
    let flowing = true;
    let thrown: Outcome | null = null;
    let settle: (outcome: Outcome) => void = () => undefined;
    const confirmed = new Promise<Outcome>((resolve) => {
      settle = resolve;
    });
    try {
      // Called outside the Promise executor, which would swallow what publish throws.
      flowing = channel.publish(config.exchange, message.routingKey, message.content, message.options, (err: unknown) =>
        settle(err === null || err === undefined ? { ok: true } : { ok: false, error: refusal(err, config.exchange) }),
      );
      confirms.push(confirmed);
    } catch (err) {
      // amqplib throws RangeError before sending when a header table cannot be encoded (over
      // 64 KiB): sending the same event again cannot help. Anything else (a closed channel) can.
      const error = `publish failed: ${err instanceof Error ? err.message : String(err)}`;
      thrown = err instanceof RangeError ? { ok: false, error, permanent: true } : { ok: false, error };
    }
    // Nothing after a failed publish is sent: it would reach consumers ahead of the failed event.
    if (thrown !== null) {
      confirms.push(Promise.resolve(thrown));
      break;
    }
    if (!flowing && !(await drained(channel, config.confirmTimeoutMs))) break;
  }
  // Events after a publish that could not proceed were never sent.
  while (confirms.length < events.length) {
    confirms.push(Promise.resolve({ ok: false, error: 'not sent: an earlier event of this batch could not be published' }));
  }
  return confirms;
}

function drained(channel: ConfirmChannel, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (value: boolean) => {
      clearTimeout(timer);
      channel.off('drain', onDrain);
      channel.off('close', onClose);
      resolve(value);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), timeoutMs);
    channel.on('drain', onDrain);
    channel.on('close', onClose);
  });
}

async function awaitConfirms(confirms: Promise<Outcome>[], timeoutMs: number): Promise<Outcome[]> {
  let timer: NodeJS.Timeout | undefined;
  const error = `RabbitMQ did not confirm the message within ${timeoutMs} ms (processing.amqp.confirmTimeoutMs)`;
  const late: Outcome = { ok: false, error, timedOut: true };
  const deadline = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve(late), timeoutMs);
  });
  try {
    return await Promise.all(confirms.map((confirm) => Promise.race([confirm, deadline])));
  } finally {
    clearTimeout(timer);
  }
}

function refusal(err: unknown, exchange: string): string {
  const message = err instanceof Error ? err.message : String(err);
  if (message === 'message nacked') {
    return `RabbitMQ refused the message (nack) on exchange "${exchange}": a bound queue rejects publishes (full with x-overflow reject-publish) or failed`;
  }
  if (message === 'channel closed') return 'the RabbitMQ channel closed before the confirm (connection lost or channel error); retried';
  return `RabbitMQ did not confirm the message: ${message}`;
}

/** Results in batch order; after the first failure every later event fails too (order per key). */
function inOrder(outcomes: Outcome[]): SinkResult[] {
  const firstFailure = outcomes.findIndex((outcome) => !outcome.ok);
  return outcomes.map((outcome, index) => {
    if (firstFailure === -1 || index < firstFailure) return { ok: true };
    if (!outcome.ok) return { ok: false, permanent: outcome.permanent === true, error: outcome.error };
    return { ok: false, permanent: false, error: 'published, but an earlier event of the same batch failed: sent again with it' };
  });
}
