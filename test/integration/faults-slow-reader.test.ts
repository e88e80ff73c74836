import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { createCountingStore, type CountingStore } from '../support/counting-store.ts';
import { waitUntil, within } from '../support/fault-load.ts';
import { buildMessage } from '../support/messages.ts';
import { frame, openRawPeer, readAck, type RawPeer } from '../support/mllp-raw.ts';

// A sender that writes and writes but never reads its ACKs. Each unread ACK is memory somewhere:
// once the kernel's socket buffers are full (about 26,000 ACKs on loopback, measured), the service
// must stop handling and reading that connection rather than queue ACKs in its own memory. Other
// senders are unaffected, and when the slow sender finally reads, it gets every answer, in order.
// The store keeps counts only (test/support/counting-store.ts): the subject is the socket, and a
// durable store would need minutes to get past the kernel's buffers.

const sent = 120_000;
const otherMessages = 20;

function slowId(n: number): string {
  return `SLOW-${String(n).padStart(6, '0')}`;
}

/** Resolves once `read()` has returned the same value for `quietMs`; returns that value. */
async function settled(read: () => number, quietMs: number, timeoutMs: number): Promise<number> {
  let last = read();
  let since = performance.now();
  await waitUntil(
    () => {
      const now = read();
      if (now !== last) [last, since] = [now, performance.now()];
      return performance.now() - since >= quietMs;
    },
    timeoutMs,
    'stored rows stop growing',
  );
  return last;
}

describe('faults: a sender that never reads its ACKs', () => {
  let app: App;
  let store: CountingStore;
  let port: number;
  let slow: RawPeer;

  beforeAll(async () => {
    store = createCountingStore();
    const config = configSchema.parse({ mllp: { host: '127.0.0.1', port: 0 }, https: { enabled: false }, log: { level: 'warn' } });
    app = createApp(config, createLogger(config.log, { write: () => undefined }), { store });
    port = (await app.start()).mllp?.port ?? 0;
  });
  afterAll(async () => {
    slow?.socket.destroy();
    await app?.close();
  });

  it('stops reading that connection, serves the others, then answers everything in order', async () => {
    slow = await openRawPeer(port);
    slow.socket.pause(); // never reads: the kernel's receive buffer fills, then the service's send buffer
    const make = (n: number): Buffer => frame(Buffer.from(buildMessage({ controlId: slowId(n) })));
    for (let n = 0; n < sent; n += 500) {
      slow.socket.write(Buffer.concat(Array.from({ length: Math.min(500, sent - n) }, (_, i) => make(n + i))));
    }

    // The service handles a bounded number of this sender's messages, then stops.
    const plateau = await settled(() => store.count('SLOW'), 1_500, 40_000);
    expect(plateau).toBeGreaterThan(0);
    expect(plateau).toBeLessThan(sent / 2);
    // TCP flow control reached the sender: its writes no longer leave its own buffer.
    expect(slow.socket.writableLength).toBeGreaterThan(0);

    // Another sender is served promptly meanwhile, and the slow one stays stopped.
    const other = await openRawPeer(port);
    for (let n = 1; n <= otherMessages; n++) {
      other.send(buildMessage({ controlId: `OTHER-${n}` }));
      expect(readAck(await within(other.reply(n), 2_000, `other sender answer ${n}`)).code).toBe('AA');
    }
    other.end();
    expect(store.count('SLOW')).toBe(plateau);

    // It finally reads: every message answered, in order, each AA, each stored once.
    slow.socket.resume();
    await within(slow.reply(sent), 60_000, 'every answer to the slow sender');
    const wrong = slow.replies.map((reply, n) => ({ n, ack: readAck(reply) })).filter(({ n, ack }) => ack.code !== 'AA' || ack.controlId !== slowId(n));
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(slow.replies).toHaveLength(sent);
    expect(store.count('SLOW')).toBe(sent);
  }, 120_000);
});
