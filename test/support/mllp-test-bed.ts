// Shared by the MLLP server tests (src/mllp/server*.test.ts, test/integration/mllp-tls.test.ts): a fake
// handler, a raw node:net client, and servers that are closed after each test.
import { connect, type Socket } from 'node:net';
import pino from 'pino';
import { createFrameReader, encodeFrame } from '../../src/mllp/frame.ts';
import { createMllpServer, type FrameHandler, type FrameSource, type InboundFrame, type MllpServer, type MllpServerOptions } from '../../src/mllp/server.ts';

export const testOptions: MllpServerOptions = {
  host: '127.0.0.1',
  port: 0,
  maxMessageBytes: 1024,
  maxConnections: 10,
  idleTimeoutMs: 60_000,
  frameTimeoutMs: 60_000,
  drainTimeoutMs: 5_000,
  maxInFlightPerConnection: 64,
  maxInFlightBytes: 128 * 1024 * 1024,
};

type Gate = { started: Promise<void>; release(): void };

/**
 * Answers `ACK:<payload>`, rejects `BOOM`, answers an oversize frame `TOO-BIG:<bytes>`.
 * `hold(payload)` makes the handler wait for that payload until `release()` is called.
 * `active`/`maxActive`: calls running now / at most at once. `replyPadding` pads every reply
 * with that many bytes (to fill a peer's socket buffers).
 */
export type FakeHandler = {
  handler: FrameHandler;
  calls: InboundFrame[];
  sources: FrameSource[];
  seen(): string[];
  hold(payload: string): Gate;
  readonly active: number;
  readonly maxActive: number;
};

export function createFakeHandler(options: { replyPadding?: number } = {}): FakeHandler {
  const calls: InboundFrame[] = [];
  const sources: FrameSource[] = [];
  const gates = new Map<string, { markStarted(): void; released: Promise<void> }>();
  const padding = Buffer.alloc(options.replyPadding ?? 0, 'x');
  let active = 0;
  let maxActive = 0;

  const handle = async (frame: InboundFrame): Promise<{ reply: Buffer }> => {
    if (frame.kind === 'oversize') return { reply: Buffer.from(`TOO-BIG:${frame.bytes}`) };
    const text = frame.payload.toString('latin1');
    const gate = gates.get(text);
    if (gate) {
      gate.markStarted();
      await gate.released;
    }
    if (text === 'BOOM') throw new Error('handler failed');
    return { reply: padding.length === 0 ? Buffer.from(`ACK:${text}`) : Buffer.concat([Buffer.from(`ACK:${text}:`), padding]) };
  };

  const handler: FrameHandler = async (frame, source) => {
    calls.push(frame);
    sources.push(source);
    maxActive = Math.max(maxActive, ++active);
    try {
      return await handle(frame);
    } finally {
      active--;
    }
  };

  function hold(payload: string): Gate {
    let markStarted = (): void => {};
    let release = (): void => {};
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    gates.set(payload, { markStarted, released });
    return { started, release };
  }

  const seen = (): string[] => calls.map((c) => (c.kind === 'message' ? c.payload.toString('latin1') : `oversize:${c.bytes}`));
  return {
    handler,
    calls,
    sources,
    seen,
    hold,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
  };
}

export type TestClient = {
  socket: Socket;
  /** Writes each payload as its own MLLP frame, all in one write. */
  send(...payloads: string[]): void;
  nextReply(): Promise<string>;
  /** What the client saw, in order: `reply:<text>` and `end`. */
  events: string[];
  closed: Promise<void>;
};

export async function connectClient(port: number): Promise<TestClient> {
  const socket = connect({ host: '127.0.0.1', port });
  const reader = createFrameReader({ maxMessageBytes: 8 << 20 });
  const events: string[] = [];
  const unread: string[] = [];
  const waiting: Array<{ resolve(text: string): void; reject(err: Error): void }> = [];

  socket.on('error', () => {}); // resets are expected in some tests; 'close' follows
  socket.on('data', (chunk: Buffer) => {
    for (const event of reader.push(chunk)) {
      if (event.kind !== 'frame') continue;
      const text = event.payload.toString('latin1');
      events.push(`reply:${text}`);
      const waiter = waiting.shift();
      if (waiter) waiter.resolve(text);
      else unread.push(text);
    }
  });
  socket.on('end', () => events.push('end'));
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      for (const waiter of waiting.splice(0)) waiter.reject(new Error('connection closed before a reply'));
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });

  return {
    socket,
    send: (...payloads) => socket.write(Buffer.concat(payloads.map((p) => encodeFrame(Buffer.from(p, 'latin1'))))),
    nextReply: () => {
      const text = unread.shift();
      if (text !== undefined) return Promise.resolve(text);
      if (socket.closed) return Promise.reject(new Error('connection closed before a reply'));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    events,
    closed,
  };
}

/** Starts servers and clients that `cleanUp()` (call it in afterEach) closes. */
export function createTestBed() {
  const servers: MllpServer[] = [];
  const clients: TestClient[] = [];

  async function start(overrides: Partial<MllpServerOptions> = {}, handler = createFakeHandler()) {
    const logLines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
    const server = createMllpServer({ ...testOptions, ...overrides }, handler.handler, log);
    servers.push(server);
    const { port } = await server.listen();
    const connectTracked = async (): Promise<TestClient> => {
      const client = await connectClient(port);
      clients.push(client);
      return client;
    };
    return { server, port, handler, logLines, connect: connectTracked };
  }

  async function cleanUp(): Promise<void> {
    for (const client of clients.splice(0)) client.socket.destroy();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  }

  return { start, cleanUp };
}
