import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of a real server, to break the network under a client
 * without touching the server (never stop the shared MariaDB). Point the client at `port`:
 *
 *   const proxy = await createTcpProxy(db.config.host, db.config.port);
 *   const store = await createMariaDbStore({ ...db.config, port: proxy.port });
 *
 *   proxy.cut();      // connections reset, new ones reset at accept: ECONNRESET / connection lost
 *   proxy.stall();    // nothing forwarded, nothing closed: the client only sees timeouts; the
 *                     // connections of a stall stay silent for ever, like TCP flows to a dead host
 *   proxy.pause();    // bytes are held, in order, nothing closed: requests are "in flight"
 *   await proxy.waitForTraffic(); // resolves once some bytes are held by a pause
 *   proxy.restore();  // new connections are forwarded again, bytes held by a pause are delivered
 *   proxy.resume();   // the same as restore()
 *   await proxy.close();
 */
export type TcpProxy = {
  port: number;
  cut(): void;
  stall(): void;
  pause(): void;
  waitForTraffic(): Promise<void>;
  restore(): void;
  resume(): void;
  close(): Promise<void>;
};

type Mode = 'open' | 'cut' | 'paused' | 'stalled';
type Held = { to: Socket; chunk: Buffer };
/** live: forwarded; held: queued until restore; dead: dropped for ever. */
type Pair = { client: Socket; upstream: Socket | undefined; state: 'live' | 'held' | 'dead'; held: Held[] };

export async function createTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: Mode = 'open';
  const pairs = new Set<Pair>();
  let trafficWaiters: (() => void)[] = [];

  function drop(pair: Pair): void {
    pairs.delete(pair);
    pair.client.destroy();
    pair.upstream?.destroy();
  }

  function reset(socket: Socket): void {
    socket.on('error', () => undefined);
    socket.resetAndDestroy();
  }

  function hold(pair: Pair, to: Socket, chunk: Buffer): void {
    pair.held.push({ to, chunk });
    const waiters = trafficWaiters;
    trafficWaiters = [];
    for (const wake of waiters) wake();
  }

  function forward(pair: Pair, from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (pair.state === 'dead') return;
      if (pair.state === 'held') return hold(pair, to, chunk);
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  }

  function connectUpstream(pair: Pair): void {
    const upstream = connect(targetPort, targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => drop(pair));
    upstream.on('close', () => drop(pair));
    forward(pair, pair.client, upstream);
    forward(pair, upstream, pair.client);
  }

  function release(pair: Pair): void {
    if (pair.state !== 'held') return;
    pair.state = 'live';
    for (const { to, chunk } of pair.held) to.write(chunk);
    pair.held = [];
  }

  const server = createServer((client) => {
    if (mode === 'cut') return reset(client);
    const state = mode === 'stalled' ? 'dead' : mode === 'paused' ? 'held' : 'live';
    const pair: Pair = { client, upstream: undefined, state, held: [] };
    pairs.add(pair);
    client.on('error', () => drop(pair));
    client.on('close', () => drop(pair));
    if (state === 'dead') client.on('data', () => undefined);
    else connectUpstream(pair);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  function restore(): void {
    mode = 'open';
    for (const pair of pairs) release(pair);
  }

  return {
    port,
    cut() {
      mode = 'cut';
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        reset(pair.client);
        pair.upstream?.destroy();
      }
    },
    stall() {
      mode = 'stalled';
      for (const pair of pairs) pair.state = 'dead';
    },
    pause() {
      mode = 'paused';
      for (const pair of pairs) if (pair.state === 'live') pair.state = 'held';
    },
    waitForTraffic() {
      if ([...pairs].some((pair) => pair.held.length > 0)) return Promise.resolve();
      return new Promise<void>((resolve) => trafficWaiters.push(resolve));
    },
    restore,
    resume: restore,
    async close() {
      mode = 'cut';
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A local port that nothing listens on (it was free a moment ago): connecting to it is refused. */
export async function findClosedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
