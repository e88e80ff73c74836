import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { MllpConfig } from '../config/schema.ts';
import { createAddressMatcher, type AddressMatcher } from '../net/allow-list.ts';
import { createByteBudget, type ByteBudget } from '../net/byte-budget.ts';
import { openConnection, type MllpConnection } from './connection.ts';
import { createMllpCounters, type FrameHandler, type MllpCounters } from './frame-handler.ts';
import { listenOn } from './listen.ts';
import { createTlsGate, formatRemote, type TlsGate } from './tls-gate.ts';
import { loadTls } from './tls.ts';

// Our own MLLP listener: node-hl7-server was measured to re-handle messages on kept-open
// connections and to drop in-flight ACKs on close. Layering after GoogleCloudPlatform/mllp
// (mllpreceiver), draining after medplum's Hl7Connection. With `tls` set, `port` speaks TLS and
// `plainPort` may keep a plain listener beside it; both feed the same connection code and handler.

export type MllpServerOptions = MllpConfig;
// The frame-handler types live in frame-handler.ts; re-exported for the composition root.
export type { FrameHandler, FrameReply, FrameSource, InboundFrame, MllpCounters } from './frame-handler.ts';

type Peer = { remoteAddress: string; remotePort: number; remote: string };

export type MllpServerDeps = {
  /** Shared with the HTTPS door; by default the server makes its own of `maxInFlightBytes`. */
  budget?: ByteBudget;
};

export function createMllpServer(options: MllpServerOptions, handler: FrameHandler, log: Logger, deps: MllpServerDeps = {}): MllpServer {
  return new MllpServer(options, handler, log, deps);
}

export class MllpServer {
  readonly #counters: MllpCounters = createMllpCounters();
  readonly #options: MllpServerOptions;
  readonly #handler: FrameHandler;
  readonly #log: Logger;
  readonly #budget: ByteBudget;
  readonly #allowed: AddressMatcher;
  readonly #connections = new Set<MllpConnection>();
  #main: Server | null = null;
  #plain: Server | null = null;
  #tls: TlsGate | null = null;
  #nextConnectionId = 1;
  /** Set by stopAccepting(): resolves once the listeners and every socket they accepted are closed. */
  #listenersClosed: Promise<void> | null = null;
  #closing: Promise<void> | undefined;

  constructor(options: MllpServerOptions, handler: FrameHandler, log: Logger, deps: MllpServerDeps = {}) {
    this.#options = options;
    this.#handler = handler;
    this.#log = log;
    this.#budget = deps.budget ?? createByteBudget(options.maxInFlightBytes);
    this.#allowed = createAddressMatcher(options.allow);
  }

  /** Live totals since start (plain numbers, for health and metrics). */
  get counters(): Readonly<MllpCounters> {
    return this.#counters;
  }

  /** Connections open right now (for the open-connections metric). */
  get openConnections(): number {
    return this.#connections.size;
  }

  /** TLS connections accepted whose handshake has not completed yet. */
  get handshaking(): number {
    return this.#tls?.pending ?? 0;
  }

  /** Opens `port` (TLS when `tls` is set), then `plainPort`. Resolves with the address of `port`. */
  async listen(): Promise<AddressInfo> {
    const { host, port, plainPort, tls } = this.#options;
    if (this.#listenersClosed !== null) throw new Error('MLLP server: listen() after stopAccepting() or close()');
    if (plainPort !== undefined && tls === undefined) {
      throw new Error('mllp.plainPort is set but mllp.tls is not: without TLS, mllp.port already speaks plain MLLP');
    }
    if (tls !== undefined) {
      const hooks = { onSecure: this.#onSecure, onFailure: () => void this.#counters.tlsHandshakeFailures++ };
      // A handshake holds a connection slot: it gets as long as a started frame does.
      this.#tls = createTlsGate(await loadTls(tls), this.#options.frameTimeoutMs, hooks, this.#log);
    }
    this.#main = this.#createListener(tls !== undefined);
    const main = await listenOn(this.#main, host, port, tls === undefined ? 'MLLP port' : 'MLLP TLS port (mllp.port)');
    if (plainPort !== undefined) {
      this.#plain = this.#createListener(false);
      await listenOn(this.#plain, host, plainPort, 'MLLP plain port (mllp.plainPort)');
    }
    for (const server of [this.#main, this.#plain]) server?.on('error', (err) => this.#log.error({ err }, 'MLLP server error'));
    this.#log.info(
      { tls: tls === undefined ? null : { port: main.port, clientCertRequired: tls.requestClientCert }, plainPort: this.plainAddress()?.port ?? null, allow: this.#options.allow ?? null },
      'MLLP listening',
    );
    return main;
  }

  /** The address of `port` (TLS when `tls` is set). */
  address(): AddressInfo | null {
    return addressOf(this.#main);
  }

  /** The plain listener beside the TLS one (`plainPort`), when there is one. */
  plainAddress(): AddressInfo | null {
    return addressOf(this.#plain);
  }

  /**
   * Closes the listeners and ends connections still before or in their TLS handshake; from now on
   * every new connection is refused. Open connections are served as before, until close().
   * Resolves at once: shutdown stops both doors accepting first, then drains them together.
   */
  stopAccepting(): Promise<void> {
    if (this.#listenersClosed === null) {
      // net.Server.close() stops listening now; its callback waits for the accepted sockets, and
      // also runs (with ERR_SERVER_NOT_RUNNING) when listen() never succeeded.
      const listeners = [this.#main, this.#plain].flatMap((s) => (s === null ? [] : [s]));
      this.#listenersClosed = Promise.all(listeners.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => undefined);
      this.#tls?.destroyPending();
      this.#log.info({ connections: this.#connections.size }, 'MLLP stopped accepting connections');
    }
    return Promise.resolve();
  }

  /** Stops accepting, lets received frames be answered, ends every socket; destroys stragglers. */
  close(): Promise<void> {
    this.#closing ??= this.#shutDown();
    return this.#closing;
  }

  async #shutDown(): Promise<void> {
    await this.stopAccepting();
    const connections = [...this.#connections];
    this.#log.info({ connections: connections.length, drainTimeoutMs: this.#options.drainTimeoutMs }, 'MLLP server closing');
    for (const connection of connections) connection.drain();
    const forceTimer = setTimeout(() => {
      this.#log.warn({ connections: this.#connections.size }, 'MLLP drain timeout; destroying remaining connections');
      for (const connection of this.#connections) connection.destroy();
    }, this.#options.drainTimeoutMs);
    try {
      await Promise.all(connections.map((connection) => connection.closed));
      await this.#listenersClosed;
    } finally {
      clearTimeout(forceTimer);
    }
    this.#log.info('MLLP server closed');
  }

  #createListener(tls: boolean): Server {
    return createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket, tls));
  }

  /** Runs synchronously at accept: a refused peer is closed before any byte (or handshake) is read. */
  #accept(socket: Socket, tls: boolean): void {
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const remotePort = socket.remotePort ?? 0;
    const peer: Peer = { remoteAddress, remotePort, remote: formatRemote(remoteAddress, remotePort) };
    if (!this.#allowed(remoteAddress)) {
      this.#counters.connectionsDenied++;
      this.#log.warn({ remote: peer.remote, tls }, 'MLLP connection denied: address not in mllp.allow');
      socket.destroy();
      return;
    }
    const open = this.#connections.size + (this.#tls?.pending ?? 0);
    const stopped = this.#listenersClosed !== null;
    if (stopped || open >= this.#options.maxConnections) {
      this.#counters.connectionsRefused++;
      const why = stopped ? 'shutting down' : 'maxConnections reached';
      this.#log.warn({ remote: peer.remote, open, maxConnections: this.#options.maxConnections }, `MLLP connection refused: ${why}`);
      socket.destroy();
      return;
    }
    if (tls && this.#tls) this.#tls.admit(socket, peer.remote);
    else this.#open(socket, peer, null);
  }

  readonly #onSecure = (socket: Socket, subject: string | null): void => {
    const remoteAddress = socket.remoteAddress ?? 'unknown';
    const remotePort = socket.remotePort ?? 0;
    if (this.#listenersClosed !== null) {
      socket.destroy(); // completed its handshake after we stopped accepting: nothing was received yet
      return;
    }
    this.#open(socket, { remoteAddress, remotePort, remote: formatRemote(remoteAddress, remotePort) }, subject);
  };

  #open(socket: Socket, peer: Peer, tlsClientSubject: string | null): void {
    const connectionId = this.#nextConnectionId++;
    this.#counters.connectionsOpened++;
    const bindings = tlsClientSubject === null ? { conn: connectionId, remote: peer.remote } : { conn: connectionId, remote: peer.remote, tlsClientSubject };
    const connection = openConnection({
      socket,
      source: { remoteAddress: peer.remoteAddress, remotePort: peer.remotePort, connectionId, tlsClientSubject },
      options: this.#options,
      handler: this.#handler,
      counters: this.#counters,
      budget: this.#budget,
      log: this.#log.child(bindings),
    });
    this.#connections.add(connection);
    socket.once('close', () => this.#connections.delete(connection));
  }
}

function addressOf(server: Server | null): AddressInfo | null {
  const address = server?.address();
  return address !== null && typeof address === 'object' ? address : null;
}
