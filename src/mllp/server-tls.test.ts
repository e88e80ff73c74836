import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { mllpSchema } from '../config/schema.ts';
import { createFakeHandler } from '../../test/support/mllp-test-bed.ts';
import { connectTls } from '../../test/support/mllp-tls-peer.ts';
import { createTestPki } from '../../test/support/tls.ts';
import { createMllpServer, type MllpServer } from './server.ts';

// What counts as a failed TLS handshake (tlsHandshakeFailures, the tls_failed metric). A port probe
// (the health check of an MLLP-only deployment, a load balancer) opens a TCP connection and closes
// it without sending a byte: that is no handshake at all, and must not look like an attack or a
// misconfigured sender. A peer that sends anything and does not complete the handshake still counts.

const pki = createTestPki();
const lab = pki.client('/C=CH/O=Hospital/CN=lab1');
const rogue = pki.client('/C=CH/O=Hospital/CN=lab1', { selfSigned: true });
afterAll(() => pki.cleanup());

const servers: MllpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startTlsServer(overrides: { frameTimeoutMs?: number } = {}) {
  const logLines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const options = mllpSchema.parse({
    host: '127.0.0.1',
    port: 0,
    ...overrides,
    tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true },
  });
  const server = createMllpServer(options, createFakeHandler().handler, log);
  servers.push(server);
  const { port } = await server.listen();
  return { server, port, logLines };
}

/** Opens a TCP connection, then closes it without a byte (`end`, as the health check does, or a reset). */
async function probe(port: number, how: 'end' | 'resetAndDestroy'): Promise<void> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket[how]();
  await once(socket, 'close');
}

/** Sends raw bytes on a TCP connection (then ends its side); resolves once it is closed. */
async function sendRaw(port: number, bytes: Buffer, then: 'wait' | 'end' = 'wait'): Promise<void> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write(bytes);
  if (then === 'end') socket.end();
  socket.resume();
  await once(socket, 'close');
}

/** The first bytes of a TLS ClientHello record: a handshake begun and never finished. */
const helloStart = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x64, 0x01, 0x00, 0x00]);

const failedHandshakes = (lines: string[]) => lines.filter((line) => line.includes('MLLP TLS handshake failed'));

describe('MLLP TLS: port probes and failed handshakes', () => {
  it.each(['end', 'resetAndDestroy'] as const)('does not count a probe that connects and closes (%s) without a byte; counts the next real failure', async (how) => {
    const { server, port, logLines } = await startTlsServer();
    await probe(port, how);
    await probe(port, how);
    await vi.waitFor(() => expect(server.handshaking).toBe(0));
    // A real failure after the probes: once it is counted, anything the probes caused would have been too.
    await sendRaw(port, Buffer.from('MSH|^~\\&|not a ClientHello\r'));
    await vi.waitFor(() => expect(server.counters.tlsHandshakeFailures).toBeGreaterThan(0));
    expect(server.counters.tlsHandshakeFailures).toBe(1);
    expect(failedHandshakes(logLines)).toHaveLength(1);
    expect(logLines.filter((line) => line.includes('closed before sending a byte'))).toHaveLength(2);
  });

  it.each([
    ['bytes that are not a ClientHello', Buffer.from('hello, plain text\r\n'), 'wait'],
    ['the start of a ClientHello, then an end (after the handshake timeout)', helloStart, 'end'],
  ] as const)('counts and logs %s as a failed handshake, and frees its slot', async (_name, bytes, then) => {
    const { server, port, logLines } = await startTlsServer({ frameTimeoutMs: 300 });
    await sendRaw(port, bytes, then);
    await vi.waitFor(() => expect([server.counters.tlsHandshakeFailures, server.handshaking]).toEqual([1, 0]));
    expect(failedHandshakes(logLines)).toHaveLength(1);
    expect(logLines.join('')).not.toContain('plain text');
  });

  it('closes and counts a connection that sends nothing within the handshake time', async () => {
    const { server, port, logLines } = await startTlsServer({ frameTimeoutMs: 300 });
    const silent = connectTcp({ host: '127.0.0.1', port });
    silent.on('error', () => undefined);
    await once(silent, 'close');
    await vi.waitFor(() => expect([server.counters.tlsHandshakeFailures, server.handshaking]).toEqual([1, 0]));
    expect(failedHandshakes(logLines).map((line) => JSON.parse(line).reason)).toEqual(['nothing received within 300 ms']);
  });

  it('counts a client certificate that is not signed by caFile', async () => {
    const { server, port, logLines } = await startTlsServer();
    const peer = connectTls(port, { ca: pki.ca, key: rogue.key, cert: rogue.cert });
    await peer.closed;
    await vi.waitFor(() => expect(server.counters.tlsHandshakeFailures).toBe(1));
    expect(failedHandshakes(logLines).map((line) => JSON.parse(line).reason)).toEqual(['client certificate refused (DEPTH_ZERO_SELF_SIGNED_CERT)']);
  });

  it('stopAccepting() ends connections still before or in their handshake at once, without counting them', async () => {
    const { server, port } = await startTlsServer();
    const silent = connectTcp({ host: '127.0.0.1', port });
    silent.on('error', () => undefined);
    const halfway = connectTcp({ host: '127.0.0.1', port });
    halfway.on('error', () => undefined);
    await Promise.all([once(silent, 'connect'), once(halfway, 'connect')]);
    halfway.write(helloStart);
    await vi.waitFor(() => expect(server.handshaking).toBe(2));
    await server.stopAccepting();
    await Promise.all([once(silent, 'close'), once(halfway, 'close')]);
    await vi.waitFor(() => expect(server.handshaking).toBe(0));
    expect(server.counters.tlsHandshakeFailures).toBe(0);
  });

  it('counts nothing for a good client', async () => {
    const { server, port } = await startTlsServer();
    const peer = connectTls(port, { ca: pki.ca, key: lab.key, cert: lab.cert });
    await peer.secure;
    peer.send('HELLO');
    expect((await peer.reply(1)).toString()).toBe('ACK:HELLO');
    peer.end();
    await peer.closed;
    expect(server.counters.tlsHandshakeFailures).toBe(0);
  });
});
