import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTestBed, type TestClient } from '../../test/support/mllp-test-bed.ts';

// mllp.maxInFlightBytes: one budget of message bytes over every connection (src/net/byte-budget.ts).
// Above it no connection reads; a frame counts from its first buffered byte until its reply is
// written; partly read frames never wait for each other for ever.

const bed = createTestBed();
afterEach(() => bed.cleanUp());

const VT = '\x0b';
const END = '\x1c\r';
/** A payload of exactly `bytes` bytes that starts with `name`. */
const sized = (name: string, bytes: number): string => name.padEnd(bytes, '.');

/**
 * A round trip on another server (its own budget): many event-loop turns in which the server under
 * test would have read and handled whatever it was free to read.
 */
async function turns(): Promise<void> {
  const { connect } = await bed.start();
  const other = await connect();
  other.send('TURNS');
  expect(await other.nextReply()).toBe('ACK:TURNS');
  other.socket.destroy();
}

const pausedLines = (lines: string[], conn: number): string[] =>
  lines.filter((line) => line.includes('maxInFlightBytes reached') && line.includes(`"conn":${conn},`));

describe('MLLP server: the byte budget (maxInFlightBytes)', () => {
  it('stops reading every connection while the budget is full, and reads on once frames are answered', async () => {
    const { connect, handler, server, logLines } = await bed.start({ maxInFlightBytes: 3000, maxMessageBytes: 4096 });
    const quiet = await connect(); // conn 1: sends nothing until the budget is full
    const busy = await connect(); // conn 2
    const payloads = ['A1', 'A2', 'A3'].map((name) => sized(name, 1000));
    const gates = payloads.map((payload) => handler.hold(payload));
    busy.send(...payloads);
    await Promise.all(gates.map((gate) => gate.started));
    await vi.waitFor(() => expect(pausedLines(logLines, 1)).toHaveLength(1));
    quiet.send('B1');
    await turns();
    expect(server.counters.framesReceived).toBe(3);
    expect(handler.seen()).not.toContain('B1');
    for (const gate of gates) gate.release();
    expect(await quiet.nextReply()).toBe('ACK:B1');
    expect(handler.seen().at(-1)).toBe('B1');
  });

  it('counts a frame still being read: another connection waits until it is complete and answered', async () => {
    const { connect, handler, logLines } = await bed.start({ maxInFlightBytes: 2000, maxMessageBytes: 8192 });
    const waiting = await connect(); // conn 1
    const partial = await connect(); // conn 2
    const big = sized('BIG', 3000);
    partial.socket.write(VT + big.slice(0, 2500));
    await vi.waitFor(() => expect(pausedLines(logLines, 1)).toHaveLength(1));
    waiting.send('SMALL');
    await turns();
    expect(handler.seen()).toEqual([]);
    partial.socket.write(big.slice(2500) + END);
    expect(await partial.nextReply()).toBe(`ACK:${big}`);
    expect(await waiting.nextReply()).toBe('ACK:SMALL');
    expect(handler.seen()).toEqual([big, 'SMALL']);
  });

  it('takes frames larger than the whole budget when nothing else is held', async () => {
    const { connect } = await bed.start({ maxInFlightBytes: 1000, maxMessageBytes: 8192 });
    const client = await connect();
    const [first, second] = [sized('ONE', 5000), sized('TWO', 5000)];
    client.send(first, second);
    expect([await client.nextReply(), await client.nextReply()]).toEqual([`ACK:${first}`, `ACK:${second}`]);
  });

  it('finishes partly read frames that together exceed the budget, one at a time', async () => {
    const { connect, handler } = await bed.start({ maxInFlightBytes: 2000, maxMessageBytes: 8192 });
    const clients: TestClient[] = [await connect(), await connect(), await connect()];
    const payloads = clients.map((_, i) => sized(`P${i}`, 3000));
    // Each sends 1500 bytes of its frame: together over the budget, and none of them is whole.
    clients.forEach((client, i) => client.socket.write(VT + payloads[i]?.slice(0, 1500)));
    await turns();
    clients.forEach((client, i) => client.socket.write(payloads[i]?.slice(1500) + END));
    const replies = await Promise.all(clients.map((client) => client.nextReply()));
    expect(replies).toEqual(payloads.map((p) => `ACK:${p}`));
    expect(handler.seen().sort()).toEqual([...payloads].sort());
  });

  it('does not run the frame timer of a connection it holds paused for the budget', async () => {
    const { connect, handler, server, logLines } = await bed.start({ maxInFlightBytes: 2000, maxMessageBytes: 8192, frameTimeoutMs: 300 });
    const held = await connect(); // conn 1: a frame begun before the budget fills
    held.socket.write(`${VT}PART`);
    await turns();
    const filler = await connect();
    const big = sized('BIG', 2500);
    const gate = handler.hold(big);
    filler.send(big);
    await gate.started;
    await vi.waitFor(() => expect(pausedLines(logLines, 1)).toHaveLength(1));
    // A frame begun later on another server, with the same frameTimeoutMs: its timer fires after the held one's would.
    const elsewhere = await bed.start({ frameTimeoutMs: 300 });
    const timedOut = await elsewhere.connect();
    timedOut.socket.write(`${VT}OTHER`);
    await timedOut.closed;
    expect(elsewhere.server.counters.frameTimeouts).toBe(1);
    expect([server.counters.frameTimeouts, held.socket.closed]).toEqual([0, false]);
    gate.release();
    expect(await filler.nextReply()).toBe(`ACK:${big}`);
    held.socket.write(`REST${END}`);
    expect(await held.nextReply()).toBe('ACK:PARTREST');
  });
});
