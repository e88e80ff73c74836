import { connect, type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import type { Logger } from 'pino';
import type { AmqpSinkConfig } from '../../config/schema.ts';
import { batchSocketWrites } from './amqp-writes.ts';

// The connection to RabbitMQ with its one confirm channel, kept up in the background. Reconnection
// with backoff and jitter is amqplib's own `recovery` option (lib/recovery.js); it re-opens the
// connection only, so the confirm channel and the exchange are set up again in its `setup` hook.

export type ReconnectOptions = { initialDelayMs: number; maxDelayMs: number };

export type AmqpLink = {
  /** The open confirm channel, or null while (re)connecting. */
  channel(): ConfirmChannel | null;
  /** Why there is no channel, in words for an operator (no password). */
  downReason(): string;
  /** The broker did not answer in time: drop the connection so a fresh one is made. */
  abandon(reason: string): void;
  close(): Promise<void>;
};

/** The URL as it may be shown: no password, no query. */
export function describeBroker(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''}${parsed.host}${parsed.pathname}`;
  } catch {
    return 'the configured processing.amqp.url';
  }
}

function checkUrl(url: string): void {
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    throw new Error('processing.amqp.url is not a URL (expected amqp://user:password@host:5672/vhost)');
  }
  if (protocol !== 'amqp:' && protocol !== 'amqps:') {
    throw new Error(`processing.amqp.url must start with amqp:// or amqps:// (got ${protocol}//)`);
  }
}

/** An error's message with the URL's password blanked, should a library ever echo it. */
export function scrubbedMessage(err: unknown, url: string): string {
  const message = err instanceof Error ? err.message || err.name : String(err);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // An unparsable URL was refused before connecting.
  }
  return password === '' ? message : message.split(password).join('***');
}

/**
 * Destroys the socket under a connection. amqplib's `close()` waits for the broker's close-ok, which
 * a stalled broker never sends; the socket (Connection#stream, not in the typings) is the only way
 * out short of the heartbeat. Destroying it with an error makes amqplib emit `close`, so recovery
 * reconnects and every unconfirmed publish fails with "channel closed".
 */
function destroySocket(model: ChannelModel, reason: string): void {
  const connection = model.connection as unknown as { stream?: { destroy(err?: Error): void } };
  connection.stream?.destroy(new Error(reason));
}

export async function openAmqpLink(config: AmqpSinkConfig, log: Logger, reconnect: ReconnectOptions): Promise<AmqpLink> {
  checkUrl(config.url);
  const broker = describeBroker(config.url);
  let current: { model: ChannelModel; channel: ConfirmChannel } | null = null;
  let lastError = 'not connected yet';
  let closing = false;
  // The newest connection, open or not, for close(): amqplib's close waits for a close-ok that a
  // dying connection never sends.
  let newest: { model: ChannelModel; open: boolean } | null = null;
  const unroutableLoggedAt = new Map<string, number>();

  // RabbitMQ drops a message no queue is bound for and still confirms it (`mandatory` makes it say so
  // first): the event counts as delivered, as with any exchange nobody listens to, but an operator is
  // told once a minute per routing key. The routing key holds only MSH-9, no identifiers.
  function warnUnroutable(routingKey: string): void {
    const now = Date.now();
    if (now - (unroutableLoggedAt.get(routingKey) ?? -Infinity) < 60_000) return;
    unroutableLoggedAt.set(routingKey, now);
    log.warn(
      { broker, exchange: config.exchange, routingKey },
      'RabbitMQ dropped messages: no queue is bound to the exchange for this routing key (bind one, or leave these events out of processing.routes)',
    );
  }

  async function setup(model: ChannelModel): Promise<void> {
    // Recovery listens for the connection's 'error' only once setup has finished; an error during
    // setup (the broker cut right then) would otherwise be an unhandled 'error' event and end the
    // process. The failure still reaches us: setup rejects and recovery reports 'connect-failed'.
    model.on('error', () => undefined);
    const entry = { model, open: true };
    newest = entry;
    model.once('close', () => {
      entry.open = false;
    });
    batchSocketWrites(model);
    const channel = await model.createConfirmChannel();
    // Every batch waiting for `drain` listens on the channel; the engine runs up to 256 lanes at once.
    channel.setMaxListeners(0);
    channel.on('error', (err: Error) => {
      lastError = scrubbedMessage(err, config.url);
      log.warn({ broker, exchange: config.exchange, reason: lastError }, 'RabbitMQ closed the publish channel');
    });
    channel.on('close', () => {
      if (current?.channel !== channel) return;
      current = null;
      // A channel closed on its own (e.g. a channel error) cannot be reused: start over with a new
      // connection, which recovery makes with its backoff. Channels also close when their connection
      // does; then the connection's own close comes right after and nothing is to be done.
      setImmediate(() => {
        if (!closing && entry.open) destroySocket(model, 'publish channel closed');
      });
    });
    channel.on('return', (message: Message) => warnUnroutable(message.fields.routingKey));
    await channel.assertExchange(config.exchange, 'topic', { durable: true });
    current = { model, channel };
  }

  const recovering = await connect(config.url, {
    timeout: config.connectTimeoutMs,
    recovery: {
      initialDelay: reconnect.initialDelayMs,
      maxDelay: reconnect.maxDelayMs,
      waitForConnect: false,
      setup,
    },
  });
  recovering.on('connect', () => {
    log.info({ broker, exchange: config.exchange }, 'connected to RabbitMQ; publishing to a durable topic exchange');
  });
  recovering.on('disconnect', (err: Error) => {
    current = null;
    lastError = `connection lost: ${scrubbedMessage(err, config.url)}`;
    log.warn({ broker, reason: lastError }, 'RabbitMQ connection lost; events wait and are retried while reconnecting');
  });
  recovering.on('connect-failed', (err: Error) => {
    current = null;
    lastError = `cannot connect: ${scrubbedMessage(err, config.url)}`;
    log.warn({ broker, exchange: config.exchange, reason: lastError }, 'RabbitMQ not available; retrying with backoff');
  });
  recovering.on('error', (err: Error) => {
    log.warn({ broker, reason: scrubbedMessage(err, config.url) }, 'RabbitMQ connection error');
  });
  recovering.on('blocked', (reason: string) => {
    log.warn({ broker, reason }, 'RabbitMQ blocked publishing (resource alarm: memory or disk)');
  });

  // Start-up waits for the first attempt only: a broker that is down does not stop the service.
  await new Promise<void>((resolve) => {
    recovering.once('connect', () => resolve());
    recovering.once('connect-failed', () => resolve());
  });

  return {
    channel: () => current?.channel ?? null,
    downReason: () => `not connected to RabbitMQ at ${broker} (${lastError}); reconnecting`,
    abandon(reason) {
      const link = current;
      if (link === null) return;
      current = null;
      lastError = reason;
      log.warn({ broker, reason }, 'dropping the RabbitMQ connection; reconnecting');
      destroySocket(link.model, reason);
    },
    async close() {
      closing = true;
      current = null;
      const closed = recovering.close();
      const last = newest;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          if (last !== null) destroySocket(last.model, 'close timed out');
          resolve();
        }, config.connectTimeoutMs);
        const finish = () => {
          clearTimeout(timer);
          resolve();
        };
        void closed.then(finish, finish);
        if (last === null || !last.open) finish();
        else last.model.once('close', finish);
      });
    },
  };
}
