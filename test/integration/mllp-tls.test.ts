import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { Client, Message, type InboundResponse } from 'node-hl7-client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mllpSchema } from '../../src/config/schema.ts';
import { createFakeHandler } from '../support/mllp-test-bed.ts';
import { createMllpServer } from '../../src/mllp/server.ts';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { connectTls } from '../support/mllp-tls-peer.ts';
import { createTestPki, type KeyPair } from '../support/tls.ts';

// MLLP over TLS: mllp.port speaks TLS, mllp.plainPort keeps a plain listener beside it, and
// requestClientCert makes a client certificate signed by caFile required (decisions.md).

const SUBJECT = 'CN=lab1,O=Hospital,C=CH';
const pki = createTestPki();
const lab = pki.client('/C=CH/O=Hospital/CN=lab1');
// Same subject, not signed by our CA: only the signature tells it apart.
const rogue = pki.client('/C=CH/O=Hospital/CN=lab1', { selfSigned: true });
const mariadb = await createTestDatabase('mllp_tls');

afterAll(() => pki.cleanup());

const withCert = (pair: KeyPair) => ({ ca: pki.ca, key: pair.key, cert: pair.cert });

describe(`MLLP over mutual TLS, plain listener beside it (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let t: TestApp;
  let plainPort: number;

  beforeAll(async () => {
    t = await startTestApp(mariadb?.config ?? 'sqlite', {
      mllp: {
        tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true },
        plainPort: 0,
      },
    });
    plainPort = t.app.mllp?.plainAddress()?.port ?? 0;
  });
  afterAll(async () => {
    await t?.close();
    await mariadb?.drop();
  });

  const counters = () => t.app.mllp?.counters;
  const rowsOf = async (controlId: string) => (await t.app.store?.listMessages({ controlId })) ?? [];

  it('node-hl7-client Client over TLS with a client certificate gets AA; the row records the subject', async () => {
    const client = new Client({ host: '127.0.0.1', tls: { ca: pki.ca, key: lab.key, cert: lab.cert } });
    let answered: (response: InboundResponse) => void = () => undefined;
    const ack = new Promise<InboundResponse>((resolve) => (answered = resolve));
    const connection = client.createConnection({ port: t.port, waitAck: true }, async (response) => answered(response));
    await connection.sendMessage(new Message({ text: buildMessage({ controlId: 'TLS-NHC-1' }) }));
    const response = await ack;
    await connection.close();
    expect(response.getMessage().get('MSA.1').toString()).toBe('AA');
    const rows = await rowsOf('TLS-NHC-1');
    expect(rows.map((r) => [r.status, r.transport, r.tlsClientSubject])).toEqual([['received', 'mllp', SUBJECT]]);
  });

  it('a raw TLS socket gets AA for several messages on one connection, each row with the subject', async () => {
    const peer = connectTls(t.port, withCert(lab));
    await peer.secure;
    const ids = ['TLS-RAW-1', 'TLS-RAW-2', 'TLS-RAW-3'];
    for (const [i, id] of ids.entries()) {
      peer.send(buildMessage({ controlId: id }));
      expect(readAck(await peer.reply(i + 1))).toMatchObject({ code: 'AA', controlId: id });
    }
    peer.end();
    await peer.closed;
    for (const id of ids) expect((await rowsOf(id)).map((r) => r.tlsClientSubject)).toEqual([SUBJECT]);
  });

  it.each([
    ['without a client certificate', { ca: pki.ca }, 'no client certificate'],
    ['with a certificate from another CA (same subject, self-signed)', withCert(rogue), 'client certificate refused (DEPTH_ZERO_SELF_SIGNED_CERT)'],
  ])('refuses a TLS client %s: no answer, nothing stored, logged with its address and counted', async (_name, options, reason) => {
    const failuresBefore = counters()?.tlsHandshakeFailures ?? 0;
    const openedBefore = counters()?.connectionsOpened ?? 0;
    const peer = connectTls(t.port, options);
    const localPort = await new Promise<number | undefined>((resolve) => peer.socket.once('connect', () => resolve(peer.socket.localPort)));
    // TLS 1.3: the client finishes its side first; the server's refusal arrives right after.
    peer.secure.then(() => peer.send(buildMessage({ controlId: 'TLS-REFUSED' })), () => undefined);
    await peer.closed;
    expect(peer.replies).toEqual([]);
    await vi.waitFor(() => expect(counters()?.tlsHandshakeFailures).toBe(failuresBefore + 1));
    expect(counters()?.connectionsOpened).toBe(openedBefore);
    expect(await rowsOf('TLS-REFUSED')).toEqual([]);
    const line = t.logs.find((l) => l.includes(`"remote":"127.0.0.1:${localPort}"`) && l.includes('MLLP TLS handshake failed'));
    expect(line && JSON.parse(line)).toMatchObject({ reason });
  });

  it('does not read plain MLLP sent to the TLS port as a message', async () => {
    const failuresBefore = counters()?.tlsHandshakeFailures ?? 0;
    const peer = await openRawPeer(t.port);
    peer.send(buildMessage({ controlId: 'TLS-PLAIN-ON-TLS' }));
    await peer.closed;
    expect(peer.replies).toEqual([]);
    await vi.waitFor(() => expect(counters()?.tlsHandshakeFailures).toBe(failuresBefore + 1));
    expect(await rowsOf('TLS-PLAIN-ON-TLS')).toEqual([]);
  });

  it('answers on the plain listener beside the TLS one, with the same handler; no subject on its rows', async () => {
    expect(plainPort).toBeGreaterThan(0);
    expect(plainPort).not.toBe(t.port);
    const plain = await openRawPeer(plainPort);
    const secure = connectTls(t.port, withCert(lab));
    await secure.secure;
    plain.send(buildMessage({ controlId: 'SIDE-PLAIN' }));
    secure.send(buildMessage({ controlId: 'SIDE-TLS' }));
    const [a, b] = await Promise.all([plain.reply(1), secure.reply(1)]);
    expect([readAck(a).code, readAck(b).code]).toEqual(['AA', 'AA']);
    plain.end();
    secure.end();
    await Promise.all([plain.closed, secure.closed]);
    expect((await rowsOf('SIDE-PLAIN')).map((r) => r.tlsClientSubject)).toEqual([null]);
    expect((await rowsOf('SIDE-TLS')).map((r) => r.tlsClientSubject)).toEqual([SUBJECT]);
  });

  it('keeps an open TLS connection working while another handshake fails', async () => {
    const good = connectTls(t.port, withCert(lab));
    await good.secure;
    good.send(buildMessage({ controlId: 'STEADY-1' }));
    expect(readAck(await good.reply(1)).code).toBe('AA');
    const bad = connectTls(t.port, { ca: pki.ca });
    await bad.closed;
    good.send(buildMessage({ controlId: 'STEADY-2' }));
    expect(readAck(await good.reply(2))).toMatchObject({ code: 'AA', controlId: 'STEADY-2' });
    good.end();
    await good.closed;
  });

  it('answers a TLS sender that half-closes right after its frame', async () => {
    const peer = connectTls(t.port, withCert(lab));
    await peer.secure;
    peer.send(buildMessage({ controlId: 'TLS-HALF-CLOSE' }));
    peer.end();
    expect(readAck(await peer.reply(1)).code).toBe('AA');
    await peer.closed;
  });
});

describe('MLLP TLS start-up errors', () => {
  it.each([
    ['a missing key file', { keyFile: `${pki.dir}/missing.key` }, /^mllp\.tls\.keyFile: .*missing\.key not found$/],
    ['a certificate file holding no certificate', { certFile: pki.server.keyFile }, /^mllp\.tls\.certFile: .*server\.key holds no PEM certificate/],
  ])('stop the service on %s, naming the option and the file', async (_name, change, message) => {
    const tls = { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true, ...change };
    await expect(startTestApp('sqlite', { mllp: { tls, plainPort: 0 } })).rejects.toThrow(message);
  });

  it('refuses mllp.plainPort without mllp.tls', async () => {
    await expect(startTestApp('sqlite', { mllp: { plainPort: 0 } })).rejects.toThrow(/mllp\.plainPort is set but mllp\.tls is not/);
  });
});

describe('MLLP TLS connections at shutdown', () => {
  const log = pino({ level: 'silent' });
  const options = (requestClientCert: boolean) =>
    mllpSchema.parse({
      host: '127.0.0.1',
      port: 0,
      drainTimeoutMs: 30_000,
      tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert },
    });

  it('answers an in-flight message before closing a TLS connection', async () => {
    const fake = createFakeHandler();
    const server = createMllpServer(options(true), fake.handler, log);
    const { port } = await server.listen();
    const gate = fake.hold('IN-FLIGHT');
    const peer = connectTls(port, withCert(lab));
    await peer.secure;
    peer.send('IN-FLIGHT');
    await gate.started;
    const closing = server.close();
    gate.release();
    expect((await peer.reply(1)).toString()).toBe('ACK:IN-FLIGHT');
    await peer.closed;
    await closing;
    expect(fake.sources.map((s) => s.tlsClientSubject)).toEqual([SUBJECT]);
  });

  it('ends a connection still in its TLS handshake at once, well before any timeout', async () => {
    const server = createMllpServer(options(true), createFakeHandler().handler, log);
    const { port } = await server.listen();
    const silent = connectTcp({ host: '127.0.0.1', port });
    silent.on('error', () => undefined);
    await once(silent, 'connect');
    await vi.waitFor(() => expect(server.handshaking).toBe(1));
    expect(server.openConnections).toBe(0);
    const started = Date.now();
    await Promise.all([server.close(), once(silent, 'close')]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('one-way TLS (requestClientCert false): no certificate needed, no subject recorded', async () => {
    const fake = createFakeHandler();
    const server = createMllpServer(options(false), fake.handler, log);
    const { port } = await server.listen();
    const peer = connectTls(port, { ca: pki.ca });
    await peer.secure;
    peer.send('ONE-WAY');
    expect((await peer.reply(1)).toString()).toBe('ACK:ONE-WAY');
    peer.end();
    await peer.closed;
    await server.close();
    expect(fake.sources.map((s) => s.tlsClientSubject)).toEqual([null]);
  });
});
