import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach } from 'vitest';
import { amqpSinkSchema, type AmqpSinkConfig } from '../../src/config/schema.ts';
import type { Sink, SinkEvent } from '../../src/processing/sink.ts';
import { createAmqpSink } from '../../src/processing/sinks/amqp.ts';
import { amqpHost, openTestConsumer, type TestConsumer } from './amqp.ts';
import { createTcpProxy, type TcpProxy } from './tcp-proxy.ts';

/**
 * What the amqp sink's tests share: stored events to deliver, a log that keeps its lines, and sinks,
 * consumers and proxies that are closed (queues and exchanges deleted) after each test:
 *
 *   const kit = useAmqpSinkKit();   // at the top of a test file: registers the afterEach
 *   const consumer = await kit.openConsumer(exchange);
 *   const sink = await kit.openSink(testAmqpUrl, exchange, { confirmTimeoutMs: 300 });
 */

/** Reconnects in 50–500 ms, so tests wait on a broker coming back for well under a second. */
export const fastReconnect = { reconnect: { initialDelayMs: 50, maxDelayMs: 500 } };

export type CapturingLog = { log: pino.Logger; text(): string };

/** A debug-level pino logger whose JSON lines are kept for assertions (no PHI, no password). */
export function capturingLog(): CapturingLog {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'debug' }, destination), text: () => lines.join('') };
}

let nextId = 1;

/** A stored ADT^A01 event as the engine hands it to a sink; ids increase across calls. */
export function sinkEvent(overrides: Partial<SinkEvent> = {}): SinkEvent {
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

type SinkSettings = Partial<Pick<AmqpSinkConfig, 'confirmTimeoutMs' | 'connectTimeoutMs'>>;

export type AmqpSinkKit = {
  openSink(url: string, exchange: string, settings?: SinkSettings, log?: pino.Logger): Promise<Sink>;
  openConsumer(exchange: string, bindingKey?: string, queueArgs?: Record<string, unknown>): Promise<TestConsumer>;
  /** A TCP proxy in front of the test broker (test/support/tcp-proxy.ts). */
  openProxy(): Promise<TcpProxy>;
  /** Something else to undo after the test (run in reverse order of registration). */
  defer(cleanup: () => Promise<unknown>): void;
};

export function useAmqpSinkKit(): AmqpSinkKit {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    async openSink(url, exchange, settings = {}, log = capturingLog().log) {
      const sink = await createAmqpSink(amqpSinkSchema.parse({ url, exchange, ...settings }), log, fastReconnect);
      cleanups.push(async () => sink.close?.());
      return sink;
    },
    async openConsumer(exchange, bindingKey, queueArgs) {
      const consumer = await openTestConsumer(exchange, bindingKey, queueArgs);
      cleanups.push(() => consumer.close());
      return consumer;
    },
    async openProxy() {
      const { host, port } = amqpHost();
      const proxy = await createTcpProxy(host, port);
      cleanups.push(() => proxy.close());
      return proxy;
    },
    defer(cleanup) {
      cleanups.push(cleanup);
    },
  };
}
