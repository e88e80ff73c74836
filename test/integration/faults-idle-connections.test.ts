import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { waitUntil, within } from '../support/fault-load.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';

// 1,000 connections that open and then send nothing (a misbehaving engine, a port scanner, a
// load balancer's health checks left open): a normal sender is still answered promptly, one more
// connection over mllp.maxConnections is refused and logged while the others stay, and close()
// ends all of them well within the drain timeout. The store is the embedded one: this is about
// sockets, not the database.

const wanted = 1_000;
const drainTimeoutMs = 5_000;

/** Both ends of every connection live in this process: two descriptors each, plus a margin. */
function possibleConnections(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = Number(/^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1] ?? 1024) || Number.MAX_SAFE_INTEGER;
  const used = readdirSync('/proc/self/fd').length;
  return Math.min(wanted, Math.floor((soft - used - 100) / 2));
}

const idleCount = possibleConnections();
if (idleCount < wanted) {
  process.stderr.write(`ulimit -n too low for ${wanted} idle connections: testing with ${idleCount} (raise it to test ${wanted})\n`);
}

type IdleSocket = { socket: Socket; closed: Promise<void>; isClosed: () => boolean };

async function openIdle(port: number): Promise<IdleSocket> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let isClosed = false;
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      resolve();
    }),
  );
  await once(socket, 'connect');
  return { socket, closed, isClosed: () => isClosed };
}

/** Sends one message on a plain socket and resolves with the first framed answer. */
async function ask(socket: Socket, controlId: string): Promise<string> {
  const answer = new Promise<string>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (!text.includes('\x1c\r')) return;
      socket.off('data', onData);
      resolve(readAck(text.slice(text.indexOf('\x0b') + 1, text.indexOf('\x1c'))).code);
    };
    socket.on('data', onData);
  });
  socket.write(`\x0b${buildMessage({ controlId })}\x1c\r`);
  return within(answer, 2_000, `answer for ${controlId}`);
}

describe('faults: 1,000 idle connections', () => {
  let t: TestApp;
  const idle: IdleSocket[] = [];

  beforeAll(async () => {
    // The cap leaves room for exactly one more: the normal sender.
    t = await startTestApp('sqlite', { mllp: { maxConnections: idleCount + 1, drainTimeoutMs } });
  });
  afterAll(async () => {
    for (const { socket } of idle) socket.destroy();
    await t?.close();
  });

  it('serves a normal sender, refuses one over the cap, keeps the others, and closes within the drain timeout', async () => {
    const mllp = t.app.mllp;
    if (!mllp) throw new Error('no MLLP server');
    // In batches, so that the listen backlog is never the thing being tested.
    for (let opened = 0; opened < idleCount; opened += 100) {
      const batch = Math.min(100, idleCount - opened);
      idle.push(...(await Promise.all(Array.from({ length: batch }, () => openIdle(t.port)))));
    }
    await waitUntil(() => mllp.counters.connectionsOpened === idleCount, 10_000, `${idleCount} connections accepted`);

    const sender = await openRawPeer(t.port);
    sender.send(buildMessage({ controlId: 'IDLE-NORMAL-1' }));
    expect(readAck(await within(sender.reply(1), 2_000, 'normal sender answer')).code).toBe('AA');

    const overCap = await openIdle(t.port);
    await within(overCap.closed, 5_000, 'connection over the cap closed');
    expect(mllp.counters.connectionsRefused).toBe(1);
    expect(t.logs.filter((line) => line.includes('maxConnections reached'))).toHaveLength(1);

    // The others stayed, and still work: the normal sender and the idle ones (the last one speaks up).
    expect(idle.filter((c) => c.isClosed())).toHaveLength(0);
    sender.send(buildMessage({ controlId: 'IDLE-NORMAL-2' }));
    expect(readAck(await within(sender.reply(2), 2_000, 'normal sender second answer')).code).toBe('AA');
    expect(await ask((idle[idle.length - 1] as IdleSocket).socket, 'IDLE-WAKES-UP')).toBe('AA');
    expect(idle.filter((c) => c.isClosed())).toHaveLength(0);

    const started = performance.now();
    await within(t.app.close(), drainTimeoutMs + 2_000, 'app.close()');
    expect(performance.now() - started).toBeLessThan(drainTimeoutMs);
    expect(t.logs.some((line) => line.includes('drain timeout'))).toBe(false);
    await within(Promise.all(idle.map(({ closed }) => closed)), 5_000, 'idle connections closed by the service');
    await sender.closed;
  }, 60_000);
});
