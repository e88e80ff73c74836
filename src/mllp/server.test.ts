import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame } from './frame.ts';
import { createTestBed } from '../../test/support/mllp-test-bed.ts';

const bed = createTestBed();
afterEach(() => bed.cleanUp());

describe('MLLP server: answering frames', () => {
  it('answers several messages on one kept-open connection, each once, in order', async () => {
    const { connect, handler } = await bed.start();
    const client = await connect();
    for (const text of ['MSG1', 'MSG2', 'MSG3', 'MSG4']) {
      client.send(text);
      expect(await client.nextReply()).toBe(`ACK:${text}`);
    }
    expect(handler.seen()).toEqual(['MSG1', 'MSG2', 'MSG3', 'MSG4']);
    expect(client.socket.closed).toBe(false);
  });

  it('handles a fast second frame while a slow first one runs, and answers the slow one first', async () => {
    const { connect, handler } = await bed.start();
    const slow = handler.hold('SLOW');
    const client = await connect();
    client.send('SLOW');
    await slow.started;
    client.send('FAST');
    // FAST is handled (and done) while SLOW still runs; its reply must wait for SLOW's.
    await vi.waitFor(() => expect([handler.seen(), handler.active]).toEqual([['SLOW', 'FAST'], 1]));
    slow.release();
    expect([await client.nextReply(), await client.nextReply()]).toEqual(['ACK:SLOW', 'ACK:FAST']);
  });

  it('answers two frames that arrive in one write', async () => {
    const { connect } = await bed.start();
    const client = await connect();
    client.send('A', 'B');
    expect([await client.nextReply(), await client.nextReply()]).toEqual(['ACK:A', 'ACK:B']);
  });

  it('answers 100 frames queued behind a slow one, in order', async () => {
    const { connect, handler } = await bed.start();
    const slow = handler.hold('M0');
    const client = await connect();
    const texts = Array.from({ length: 100 }, (_, i) => `M${i}`);
    client.send(...texts);
    await slow.started;
    slow.release();
    const replies: string[] = [];
    for (const _ of texts) replies.push(await client.nextReply());
    expect(replies).toEqual(texts.map((t) => `ACK:${t}`));
  });

  it('tells the handler which connection each frame came from', async () => {
    const { connect, handler } = await bed.start();
    const [first, second] = [await connect(), await connect()];
    first.send('X');
    await first.nextReply();
    second.send('Y');
    await second.nextReply();
    first.send('Z');
    await first.nextReply();
    const [x, y, z] = handler.sources;
    expect(x).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: first.socket.localPort });
    expect(y).toMatchObject({ remoteAddress: '127.0.0.1', remotePort: second.socket.localPort });
    expect(z?.connectionId).toBe(x?.connectionId);
    expect(y?.connectionId).not.toBe(x?.connectionId);
  });

  it('drops junk between frames, counts it, logs only its size, and keeps the connection', async () => {
    const { connect, server, logLines } = await bed.start();
    const client = await connect();
    client.socket.write(Buffer.concat([Buffer.from('SECRET-JUNK'), encodeFrame(Buffer.from('A')), Buffer.from('\n')]));
    expect(await client.nextReply()).toBe('ACK:A');
    client.send('B');
    expect(await client.nextReply()).toBe('ACK:B');
    expect(server.counters.junkBytes).toBe(12);
    expect(server.counters.junkRuns).toBeGreaterThanOrEqual(2);
    expect(logLines.some((line) => line.includes('outside a frame'))).toBe(true);
    expect(logLines.join('')).not.toMatch(/SECRET-JUNK|ACK:|"A"/);
  });

  it('drops an unfinished frame that a new start block replaces, counts it as junk, and answers the new frame', async () => {
    const { connect, handler, server, logLines } = await bed.start();
    const client = await connect();
    client.socket.write(Buffer.from('\x0bGAVE-UP-ON-THIS'));
    client.send('B');
    expect(await client.nextReply()).toBe('ACK:B');
    client.send('C');
    expect(await client.nextReply()).toBe('ACK:C');
    expect(handler.seen()).toEqual(['B', 'C']);
    expect(server.counters.junkBytes).toBe(16);
    expect(logLines.some((line) => line.includes('unfinished frame dropped'))).toBe(true);
    expect(logLines.join('')).not.toContain('GAVE-UP');
  });

  it('passes an oversize frame to the handler, writes its reply, then closes the connection', async () => {
    const { connect, handler, server } = await bed.start({ maxMessageBytes: 1024 });
    const client = await connect();
    client.send('M'.repeat(2000), 'NEVER');
    await client.closed;
    expect(handler.calls).toHaveLength(1); // NEVER, after the oversize frame, is not handled
    const [call] = handler.calls;
    if (call?.kind !== 'oversize') throw new Error(`expected an oversize frame, got ${call?.kind}`);
    expect(call.bytes).toBeGreaterThan(1024);
    expect(call.head.toString('latin1')).toBe('M'.repeat(call.bytes));
    expect(client.events).toEqual([`reply:TOO-BIG:${call.bytes}`, 'end']);
    expect(server.counters.oversizeFrames).toBe(1);
  });

  it('answers a sender that ends its side right after its last frame, then closes', async () => {
    const { connect } = await bed.start();
    const client = await connect();
    client.send('LAST');
    client.socket.end();
    await client.closed;
    expect(client.events).toEqual(['reply:ACK:LAST', 'end']);
  });
});
