import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { frame, mixedMessage, within } from '../test/support/fault-load.ts';
import { buildMessage } from '../test/support/messages.ts';
import { openRawPeer, readAck, type RawPeer } from '../test/support/mllp-raw.ts';

// The soak's senders: stop-and-wait connections that close and reopen every few hundred messages,
// one connection that pipelines, and short-lived connections that send one message and leave.
// Each message has the answer it must get: valid ADT/ORU/SIU and exact resends of accepted ones
// → AA, an ADT without PID → AE, an unknown message type → AR.

export type SoakStats = {
  sent: number;
  answered: number;
  codes: Map<string, number>;
  /** `what:expected→got` → count. */
  unexpected: Map<string, number>;
  /** Frames that got no answer (timeout or connection closed): must stay 0. */
  unanswered: number;
  connectionsOpened: number;
  /** MSH-10 of every message answered AA the first time it was sent. */
  acceptedIds: Set<string>;
  /** Latencies since the last sample (ms); the sampler empties it. */
  latencies: number[];
};

type Planned = { id: string; bytes: Buffer; expect: string; what: string };

export type SoakLoad = { stats: SoakStats; stop(): Promise<void> };

export type SoakOptions = { port: number; prefix: string; stopAndWait: number; pipelineDepth: number; rate: number; answerTimeoutMs: number };

const tally = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

export function startSoakLoad(options: SoakOptions): SoakLoad {
  const stats: SoakStats = { sent: 0, answered: 0, codes: new Map(), unexpected: new Map(), unanswered: 0, connectionsOpened: 0, acceptedIds: new Set(), latencies: [] };
  const resendable: Planned[] = []; // a ring of accepted messages, for exact retransmissions
  let stopping = false;
  let seq = 0;
  let nextSlot = performance.now();

  /** Spaces sends to `rate` per second overall (0: as fast as the answers come). */
  async function pace(slots: number): Promise<void> {
    if (options.rate <= 0) return;
    const now = performance.now();
    const slot = Math.max(now, nextSlot);
    nextSlot = slot + (slots * 1000) / options.rate;
    if (slot > now) await sleep(slot - now);
  }

  function plan(): Planned {
    const n = seq++;
    const id = `${options.prefix}${n.toString(36)}`;
    const roll = n % 100;
    const again = resendable[n % Math.max(1, resendable.length)];
    if (roll < 3 && again) return { ...again, what: 'resend' };
    if (roll === 3) return { id, bytes: Buffer.from(buildMessage({ controlId: id, body: ['EVN|A01|20260115103000'] })), expect: 'AE', what: 'no-PID' };
    if (roll === 4) return { id, bytes: Buffer.from(buildMessage({ controlId: id, type: 'ZZZ', event: 'Z01' })), expect: 'AR', what: 'unknown-type' };
    return { id, bytes: mixedMessage(id, n), expect: 'AA', what: 'valid' };
  }

  function record(p: Planned, reply: Buffer, sentAt: number): void {
    stats.latencies.push(performance.now() - sentAt);
    stats.answered++;
    const code = readAck(reply).code;
    tally(stats.codes, code);
    if (code !== p.expect) tally(stats.unexpected, `${p.what}:${p.expect}→${code || '(none)'}`);
    if (code === 'AA' && p.what === 'valid') {
      stats.acceptedIds.add(p.id);
      resendable[stats.acceptedIds.size % 200] = p;
    }
  }

  async function open(): Promise<RawPeer> {
    const peer = await openRawPeer(options.port);
    stats.connectionsOpened++;
    return peer;
  }

  /** Sends `count` messages `depth` at a time; false once the connection is no longer usable. */
  async function exchange(peer: RawPeer, count: number, depth: number): Promise<boolean> {
    for (let done = 0; done < count && !stopping; done += depth) {
      await pace(depth);
      const batch = Array.from({ length: depth }, plan);
      const base = peer.replies.length;
      const sentAt = performance.now();
      peer.write(Buffer.concat(batch.map((p) => frame(p.bytes))));
      stats.sent += depth;
      for (const [i, p] of batch.entries()) {
        try {
          record(p, await within(peer.reply(base + i + 1), options.answerTimeoutMs, p.id), sentAt);
        } catch {
          stats.unanswered += batch.length - i;
          return false;
        }
      }
      peer.replies.length = 0; // every answer of the batch is in: keeps memory flat on long connections
    }
    return true;
  }

  async function worker(depth: number, perConnection: () => number): Promise<void> {
    while (!stopping) {
      const peer = await open().catch(() => null);
      if (peer === null) {
        stats.unanswered++; // could not even connect: counted so that the verdict shows it
        await sleep(1_000);
        continue;
      }
      await exchange(peer, perConnection(), depth);
      peer.end();
      await peer.closed;
    }
  }

  const workers = [
    ...Array.from({ length: options.stopAndWait }, () => worker(1, () => 50 + Math.floor(Math.random() * 450))),
    worker(options.pipelineDepth, () => 5_000),
    // Short-lived connections: one message each, a few per second.
    (async () => {
      while (!stopping) {
        await oneShot();
        await sleep(250);
      }
    })(),
  ];

  async function oneShot(): Promise<void> {
    const peer = await open().catch(() => null);
    if (peer === null) return void stats.unanswered++;
    await exchange(peer, 1, 1);
    peer.end();
    await peer.closed;
  }

  return {
    stats,
    async stop() {
      stopping = true;
      await Promise.all(workers);
    },
  };
}
