import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { MllpConfig } from '../config/schema.ts';
import { openConnection, type MllpConnection } from './connection.ts';

// Our own MLLP listener: node-hl7-server was measured to re-handle messages on kept-open
// connections and to drop in-flight ACKs on close. Layering after GoogleCloudPlatform/mllp
// (mllpreceiver), draining after medplum's Hl7Connection.

export type FrameSource = { remoteAddress: string; remotePort: number; connectionId: number };
export type InboundFrame = { kind: 'message'; payload: Buffer } | { kind: 'oversize'; head: Buffer; bytes: number };
/** The unframed answer payload, or null to send nothing. */
export type FrameReply = { reply: Buffer | null };
/** Resolves only once the frame is durably handled; its reply is then written, in arrival order. */
export type FrameHandler = (frame: InboundFrame, source: FrameSource) => Promise<FrameReply>;
export type MllpServerOptions = MllpConfig;

export type MllpCounters = {
  connectionsOpened: number;
  connectionsRefused: number;
  framesReceived: number;
  junkBytes: number;
  junkRuns: number;
  oversizeFrames: number;
  frameTimeouts: number;
  idleTimeouts: number;
  handlerFailures: number;
  repliesSent: number;
};

export function createMllpServer(options: MllpServerOptions, handler: FrameHandler, log: Logger): MllpServer {
  return new MllpServer(options, handler, log);
}

export class MllpServer {
  readonly #counters: MllpCounters = {
    connectionsOpened: 0,
    connectionsRefused: 0,
    framesReceived: 0,
    junkBytes: 0,
    junkRuns: 0,
    oversizeFrames: 0,
    frameTimeouts: 0,
    idleTimeouts: 0,
    handlerFailures: 0,
    repliesSent: 0,
  };
  readonly #options: MllpServerOptions;
  readonly #handler: FrameHandler;
  readonly #log: Logger;
  readonly #server: Server;
  readonly #connections = new Set<MllpConnection>();
  #nextConnectionId = 1;
  #closing: Promise<void> | undefined;

  constructor(options: MllpServerOptions, handler: FrameHandler, log: Logger) {
    this.#options = options;
    this.#handler = handler;
    this.#log = log;
    this.#server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket));
  }

  /** Live totals since start (plain numbers, for health and metrics). */
  get counters(): Readonly<MllpCounters> {
    return this.#counters;
  }

  listen(): Promise<AddressInfo> {
    const { host, port } = this.#options;
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(describeListenError(err, host, port));
      this.#server.once('error', onError);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', onError);
        this.#server.on('error', (err) => this.#log.error({ err }, 'MLLP server error'));
        const address = this.address();
        if (address) resolve(address);
        else reject(new Error(`MLLP server on ${host}:${port} has no address after listening`));
      });
    });
  }

  address(): AddressInfo | null {
    const address = this.#server.address();
    return address !== null && typeof address === 'object' ? address : null;
  }

  /** Stops accepting, lets received frames be answered, ends every socket; destroys stragglers. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    // The callback also runs, with ERR_SERVER_NOT_RUNNING, when listen() never succeeded.
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const connections = [...this.#connections];
    this.#log.info({ connections: connections.length, drainTimeoutMs: this.#options.drainTimeoutMs }, 'MLLP server closing');
    for (const connection of connections) connection.drain();
    const forceTimer = setTimeout(() => {
      this.#log.warn({ connections: this.#connections.size }, 'MLLP drain timeout; destroying remaining connections');
      for (const connection of this.#connections) connection.destroy();
    }, this.#options.drainTimeoutMs);
    try {
      await Promise.all(connections.map((connection) => connection.closed));
      await serverClosed;
    } finally {
      clearTimeout(forceTimer);
    }
    this.#log.info('MLLP server closed');
  }

  #accept(socket: Socket): void {
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const remotePort = socket.remotePort ?? 0;
    const remote = `${remoteAddress.includes(':') ? `[${remoteAddress}]` : remoteAddress}:${remotePort}`;
    if (this.#closing !== undefined || this.#connections.size >= this.#options.maxConnections) {
      this.#counters.connectionsRefused++;
      const why = this.#closing !== undefined ? 'shutting down' : 'maxConnections reached';
      this.#log.warn({ remote, open: this.#connections.size, maxConnections: this.#options.maxConnections }, `MLLP connection refused: ${why}`);
      socket.destroy();
      return;
    }
    const connectionId = this.#nextConnectionId++;
    this.#counters.connectionsOpened++;
    const connection = openConnection({
      socket,
      source: { remoteAddress, remotePort, connectionId },
      options: this.#options,
      handler: this.#handler,
      counters: this.#counters,
      log: this.#log.child({ conn: connectionId, remote }),
    });
    this.#connections.add(connection);
    socket.once('close', () => this.#connections.delete(connection));
  }
}

function describeListenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `MLLP port ${port} on ${host}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new Error(`${where} is already in use`, { cause: err });
    case 'EACCES':
      return new Error(`${where} needs privileges this process does not have (EACCES)`, { cause: err });
    case 'EADDRNOTAVAIL':
      return new Error(`${where}: ${host} is not an address of this machine`, { cause: err });
    default:
      return new Error(`${where} could not be opened: ${err.message}`, { cause: err });
  }
}
