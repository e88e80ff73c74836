import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeHandler, createTestBed, type FakeHandler, type TestClient } from '../../test/support/mllp-test-bed.ts';

const bed = createTestBed();
afterEach(() => bed.cleanUp());

const texts = (n: number, prefix = 'M'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

async function replies(client: TestClient, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await client.nextReply());
  return out;
}

/** A round trip on another connection: gives the server many event-loop turns to misbehave in. */
async function roundTrip(connect: () => Promise<TestClient>, text: string): Promise<void> {
  const other = await connect();
  other.send(text);
  expect(await other.nextReply()).toMatch(`ACK:${text}`);
  other.socket.destroy();
}

const seenWith = (handler: FakeHandler, prefix: string): string[] => handler.seen().filter((t) => t.startsWith(prefix));

describe('MLLP server: pipelining', () => {
  it('handles 50 frames of one write concurrently and answers them in arrival order, whatever order they finish in', async () => {
    const { connect, handler } = await bed.start();
    const sent = texts(50);
    const gates = sent.map((text) => handler.hold(text));
    const client = await connect();
    client.send(...sent);
    await Promise.all(gates.map((gate) => gate.started));
    expect(handler.maxActive).toBe(50);
    // Finish out of order: odd ones backwards, then even ones backwards.
    const order = [...gates.keys()].sort((a, b) => (a % 2) - (b % 2) || b - a).reverse();
    for (const i of order) gates[i]?.release();
    expect(await replies(client, 50)).toEqual(sent.map((t) => `ACK:${t}`));
  });

  it('has at most maxInFlightPerConnection frames of a connection unanswered, and reads on as they are answered', async () => {
    const limit = 4;
    const { connect, handler } = await bed.start({ maxInFlightPerConnection: limit });
    const sent = texts(50);
    const gates = sent.map((text) => handler.hold(text));
    const client = await connect();
    client.send(...sent);
    for (let done = 0; done < sent.length; done += limit) {
      const batch = gates.slice(done, done + limit);
      await Promise.all(batch.map((gate) => gate.started));
      await roundTrip(connect, `PING${done}`);
      expect(seenWith(handler, 'M')).toEqual(sent.slice(0, done + batch.length)); // nothing beyond the limit
      for (const gate of [...batch].reverse()) gate.release();
    }
    expect(await replies(client, 50)).toEqual(sent.map((t) => `ACK:${t}`));
    expect(handler.maxActive).toBeLessThanOrEqual(limit + 1); // + one PING on its own connection
  });

  it('counts handled-but-unanswered frames against the limit: a slow head holds back new starts', async () => {
    const { connect, handler } = await bed.start({ maxInFlightPerConnection: 3 });
    const head = handler.hold('M0');
    const client = await connect();
    client.send(...texts(10));
    await head.started;
    await vi.waitFor(() => expect(handler.active).toBe(1)); // M1 and M2 done, held behind M0
    await roundTrip(connect, 'PING');
    expect(seenWith(handler, 'M')).toEqual(['M0', 'M1', 'M2']);
    head.release();
    expect(await replies(client, 10)).toEqual(texts(10).map((t) => `ACK:${t}`));
  });

  it('holds further frames of a sender that never reads its replies, and answers them all once it reads', async () => {
    // 1 MiB replies fill the loopback buffers after a handful; without a bound, all 200 frames
    // would be handled and 200 MiB of replies queued in the server.
    const handler = createFakeHandler({ replyPadding: 1 << 20 });
    const { connect, logLines } = await bed.start({ maxInFlightPerConnection: 2, maxMessageBytes: 4096 }, handler);
    const client = await connect();
    client.socket.pause();
    const sent = texts(200);
    client.send(...sent);
    await vi.waitFor(() => expect(logLines.some((line) => line.includes('peer not reading its replies'))).toBe(true), { timeout: 5_000 });
    const handled = seenWith(handler, 'M').length;
    await roundTrip(connect, 'PING');
    await roundTrip(connect, 'PONG');
    expect(seenWith(handler, 'M')).toHaveLength(handled);
    expect(handled).toBeLessThan(64);
    client.socket.resume();
    const got = await replies(client, 200);
    expect(got.map((reply) => reply.slice(0, reply.indexOf(':', 4)))).toEqual(sent.map((t) => `ACK:${t}`));
  });

  it('closes a connection whose peer has read none of its replies for idleTimeoutMs', async () => {
    const handler = createFakeHandler({ replyPadding: 1 << 20 });
    const { connect, logLines, server } = await bed.start({ maxInFlightPerConnection: 2, maxMessageBytes: 4096, idleTimeoutMs: 300 }, handler);
    const client = await connect();
    client.socket.pause();
    client.send(...texts(50));
    await vi.waitFor(() => expect(logLines.some((line) => line.includes('peer has not read its replies'))).toBe(true), { timeout: 5_000 });
    expect(server.counters.idleTimeouts).toBe(1);
    await vi.waitFor(() => expect(logLines.some((line) => line.includes('"reason":"reply-timeout"'))).toBe(true));
  });

  it('answers earlier frames when a later one fails, and no frame after the failure even if it finished first', async () => {
    const { connect, handler, server } = await bed.start();
    const first = handler.hold('A');
    const boom = handler.hold('BOOM');
    const client = await connect();
    client.send('A', 'BOOM', 'C', 'D');
    await Promise.all([first.started, boom.started]);
    await vi.waitFor(() => expect(handler.seen()).toEqual(['A', 'BOOM', 'C', 'D']));
    await vi.waitFor(() => expect(handler.active).toBe(2)); // C and D are done, held behind A
    boom.release();
    await vi.waitFor(() => expect(server.counters.handlerFailures).toBe(1));
    first.release();
    await client.closed;
    expect(client.events).toEqual(['reply:ACK:A', 'end']);
  });

  it('answers every frame received before close(), including ones queued behind the limit', async () => {
    const { connect, handler, server } = await bed.start({ maxInFlightPerConnection: 2 });
    const head = handler.hold('M0');
    const client = await connect();
    client.send(...texts(6));
    await head.started;
    await vi.waitFor(() => expect(server.counters.framesReceived).toBe(6));
    const closing = server.close();
    head.release();
    await Promise.all([closing, client.closed]);
    expect(client.events).toEqual([...texts(6).map((t) => `reply:ACK:${t}`), 'end']);
  });
});
