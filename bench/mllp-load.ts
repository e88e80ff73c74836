import { performance } from 'node:perf_hooks';
import { openRawPeer, readAck, type RawPeer } from '../test/support/mllp-raw.ts';

// Drives the service the way interface engines do: C kept-open connections, each sending one
// message and waiting for its ACK before the next. Bounded by the message count, a deadline for the
// whole run, and a timeout per ACK, so a stuck service cannot hang the benchmark.

export type LoadResult = {
  count: number;
  bytes: number;
  elapsedMs: number;
  latenciesMs: number[];
  /** ACK code (or `timeout`/`closed`) → how many; empty when every ACK was AA. */
  notAa: Map<string, number>;
  capped: boolean;
};

const ackTimeoutMs = 10_000;

function tally(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

async function waitForReply(peer: RawPeer, n: number): Promise<Buffer | 'timeout' | 'closed'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ackTimeoutMs);
  });
  try {
    return await Promise.race([peer.reply(n).catch(() => 'closed' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function drive(peer: RawPeer, batch: Buffer[], deadline: number, result: LoadResult): Promise<void> {
  for (const [i, message] of batch.entries()) {
    if (performance.now() > deadline) {
      result.capped = true;
      return;
    }
    const sentAt = performance.now();
    peer.send(message);
    const reply = await waitForReply(peer, i + 1);
    if (typeof reply === 'string') {
      tally(result.notAa, reply);
      return; // the connection is no longer in step: stop using it
    }
    result.latenciesMs.push(performance.now() - sentAt);
    result.count++;
    result.bytes += message.length;
    const code = readAck(reply).code;
    if (code !== 'AA') tally(result.notAa, code || '(no MSA-1)');
  }
}

/** Sends `batches[c]` over connection c, all connections at once; timing starts once all are open. */
export async function runLoad(port: number, batches: Buffer[][], maxMs: number): Promise<LoadResult> {
  const peers = await Promise.all(batches.map(() => openRawPeer(port)));
  const result: LoadResult = { count: 0, bytes: 0, elapsedMs: 0, latenciesMs: [], notAa: new Map(), capped: false };
  const start = performance.now();
  try {
    await Promise.all(peers.map((peer, c) => drive(peer, batches[c] ?? [], start + maxMs, result)));
    result.elapsedMs = performance.now() - start;
  } finally {
    for (const peer of peers) peer.socket.destroy();
  }
  return result;
}

/** Deals `messages` round-robin over `conns` connections. */
export function deal(messages: Buffer[], conns: number): Buffer[][] {
  const batches: Buffer[][] = Array.from({ length: conns }, () => []);
  messages.forEach((message, i) => batches[i % conns]?.push(message));
  return batches;
}
