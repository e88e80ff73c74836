import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createFakeHandler, createTestBed, testOptions } from '../../test/support/mllp-test-bed.ts';
import { createMllpServer } from './server.ts';

const bed = createTestBed();
afterEach(() => bed.cleanUp());

describe('MLLP server: timeouts and limits', () => {
  it('closes a connection whose started frame does not end within frameTimeoutMs, unanswered', async () => {
    const { connect, handler, server } = await bed.start({ frameTimeoutMs: 200 });
    const client = await connect();
    client.socket.write(Buffer.from('\x0bMSH|partial'));
    await client.closed;
    expect(handler.calls).toEqual([]);
    expect(client.events).toEqual(['end']);
    expect(server.counters.frameTimeouts).toBe(1);
  });

  it('does not run the frame timer while it holds the connection at maxInFlightPerConnection', async () => {
    const { connect, handler, server } = await bed.start({ frameTimeoutMs: 300, maxInFlightPerConnection: 1 });
    const slow = handler.hold('SLOW');
    const held = await connect();
    // One write: SLOW fills the in-flight limit, so reading pauses with the next frame begun.
    held.socket.write(Buffer.from('\x0bSLOW\x1c\r\x0bPART'));
    await slow.started;
    // A frame begun later on another connection: its timer would fire after the held one's.
    const other = await connect();
    other.socket.write(Buffer.from('\x0bOTHER'));
    await other.closed;
    expect(server.counters.frameTimeouts).toBe(1);
    expect(held.socket.closed).toBe(false);
    slow.release();
    expect(await held.nextReply()).toBe('ACK:SLOW');
    held.socket.write(Buffer.from('REST\x1c\r'));
    expect(await held.nextReply()).toBe('ACK:PARTREST');
  });

  it('closes a connection idle for idleTimeoutMs', async () => {
    const { connect, server } = await bed.start({ idleTimeoutMs: 200 });
    const client = await connect();
    client.send('A');
    expect(await client.nextReply()).toBe('ACK:A');
    await client.closed;
    expect(server.counters.idleTimeouts).toBe(1);
  });

  it('does not count waiting on its own handler as the sender being idle', async () => {
    const { connect, handler, server } = await bed.start({ idleTimeoutMs: 200 });
    const busy = await connect();
    const slow = handler.hold('SLOW');
    busy.send('SLOW');
    await slow.started;
    const idle = await connect(); // its idle timer starts after busy's
    await idle.closed;
    expect(server.counters.idleTimeouts).toBe(1);
    expect(busy.socket.closed).toBe(false);
    slow.release();
    expect(await busy.nextReply()).toBe('ACK:SLOW');
  });

  it('refuses a connection over maxConnections and keeps the existing ones', async () => {
    const { connect, server } = await bed.start({ maxConnections: 1 });
    const first = await connect();
    first.send('A');
    expect(await first.nextReply()).toBe('ACK:A');
    const second = await connect();
    await second.closed;
    expect(server.counters.connectionsRefused).toBe(1);
    first.send('B');
    expect(await first.nextReply()).toBe('ACK:B');
  });

  it('closes the connection unanswered when the handler rejects, and answers no later frame', async () => {
    const { connect, handler, server } = await bed.start();
    const client = await connect();
    client.send('A', 'BOOM', 'C');
    await client.closed;
    expect(client.events).toEqual(['reply:ACK:A', 'end']);
    // C was already in flight beside BOOM (pipelining): it may be handled, but it is never answered.
    expect(handler.seen().slice(0, 2)).toEqual(['A', 'BOOM']);
    expect(server.counters.handlerFailures).toBe(1);
    const next = await connect();
    next.send('D');
    expect(await next.nextReply()).toBe('ACK:D');
  });
});

describe('MLLP server: listen and close', () => {
  it('writes the reply of a frame in flight before ending the socket on close()', async () => {
    const { connect, handler, server } = await bed.start();
    const slow = handler.hold('INFLIGHT');
    const client = await connect();
    client.send('INFLIGHT');
    await slow.started;
    const closing = server.close();
    client.send('AFTER-CLOSE'); // not read any more
    slow.release();
    await Promise.all([closing, client.closed]);
    expect(client.events).toEqual(['reply:ACK:INFLIGHT', 'end']);
    expect(handler.seen()).toEqual(['INFLIGHT']);
  });

  it('destroys connections still busy after drainTimeoutMs', async () => {
    const { connect, handler, server, logLines } = await bed.start({ drainTimeoutMs: 100 });
    const stuck = handler.hold('STUCK');
    const client = await connect();
    client.send('STUCK');
    await stuck.started;
    await server.close();
    await client.closed;
    expect(client.events.filter((e) => e.startsWith('reply:'))).toEqual([]);
    expect(logLines.some((line) => line.includes('drain timeout'))).toBe(true);
    stuck.release(); // its reply goes nowhere
  });

  it('stopAccepting() refuses new connections at once and resolves while a frame is in flight; open connections keep being served', async () => {
    const { connect, handler, server, port } = await bed.start();
    const slow = handler.hold('INFLIGHT');
    const client = await connect();
    client.send('INFLIGHT');
    await slow.started;
    await server.stopAccepting(); // does not wait for INFLIGHT
    expect(server.address()).toBeNull();
    const refused = connectTcp({ host: '127.0.0.1', port });
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
    slow.release();
    expect(await client.nextReply()).toBe('ACK:INFLIGHT');
    client.send('AFTER-STOP');
    expect(await client.nextReply()).toBe('ACK:AFTER-STOP');
    await Promise.all([server.close(), client.closed]);
    expect(client.events).toEqual(['reply:ACK:INFLIGHT', 'reply:ACK:AFTER-STOP', 'end']);
  });

  it('stopAccepting() can be called twice, after close(), and without ever listening', async () => {
    const { server } = await bed.start();
    await Promise.all([server.stopAccepting(), server.stopAccepting()]);
    await server.close();
    await server.stopAccepting();
    const never = createMllpServer(testOptions, createFakeHandler().handler, pino({ level: 'silent' }));
    await never.stopAccepting();
    await never.close();
  });

  it('can be closed twice, and closed without ever listening', async () => {
    const { server } = await bed.start();
    await Promise.all([server.close(), server.close()]);
    await server.close();
    const never = createMllpServer(testOptions, createFakeHandler().handler, pino({ level: 'silent' }));
    await never.close();
  });

  it('rejects listen() with a clear error when the port is in use', async () => {
    const { port } = await bed.start();
    const second = createMllpServer({ ...testOptions, port }, createFakeHandler().handler, pino({ level: 'silent' }));
    await expect(second.listen()).rejects.toThrow(`MLLP port ${port} on 127.0.0.1 is already in use`);
    await second.close();
  });
});
