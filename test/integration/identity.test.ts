import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { send } from '../support/https-client.ts';
import { buildMessage, type MessageOptions } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { connectTls, type TlsPeerOptions } from '../support/mllp-tls-peer.ts';
import { createTestPki } from '../support/tls.ts';

// Who may send: mllp.allow closes peers from outside at accept, before any byte (or handshake)
// is read; identity rules (`senders`) decide which MSH-3/MSH-4 a peer may claim (AR 207).

const pki = createTestPki();
const lab1 = pki.client('/C=CH/O=Hospital/CN=lab1');
const lab2 = pki.client('/C=CH/O=Hospital/CN=lab2');
const mariadb = await createTestDatabase('identity');
const db = mariadb?.config ?? 'sqlite';
const API_KEY = 'hl7k_identity-test-key';
const tlsFiles = { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true };

afterAll(async () => {
  await mariadb?.drop();
  pki.cleanup();
});

/** One message over plain MLLP; resolves with the parsed ACK. */
async function exchangePlain(port: number, options: MessageOptions) {
  const peer = await openRawPeer(port);
  peer.send(buildMessage(options));
  const ack = readAck(await peer.reply(1));
  peer.end();
  await peer.closed;
  return ack;
}

async function exchangeTls(port: number, tls: TlsPeerOptions, options: MessageOptions) {
  const peer = connectTls(port, tls);
  await peer.secure;
  peer.send(buildMessage(options));
  const ack = readAck(await peer.reply(1));
  peer.end();
  await peer.closed;
  return ack;
}

describe(`mllp.allow (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let outside: TestApp;
  let inside: TestApp;

  beforeAll(async () => {
    // 127.0.0.1 is outside this list; the plain port and the TLS port both check it.
    outside = await startTestApp(db, { mllp: { allow: ['10.0.0.0/8', '::1'], tls: tlsFiles, plainPort: 0 } });
    inside = await startTestApp(db, { mllp: { allow: ['192.168.1.0/24', '127.0.0.0/8'] } });
  });
  afterAll(async () => {
    await outside?.close();
    await inside?.close();
  });

  it('closes a peer from outside the list at accept: no answer, nothing read or stored; logged and counted', async () => {
    const plainPort = outside.app.mllp?.plainAddress()?.port ?? 0;
    const peer = await openRawPeer(plainPort);
    const localPort = peer.socket.localPort;
    peer.send(buildMessage({ controlId: 'ALLOW-OUT-1' })); // may be written before the close arrives
    await peer.closed;
    expect(peer.replies).toEqual([]);
    expect(outside.app.mllp?.counters).toMatchObject({ connectionsDenied: 1, connectionsOpened: 0, framesReceived: 0 });
    expect(await outside.app.store?.listMessages({ controlId: 'ALLOW-OUT-1' })).toEqual([]);
    const line = outside.logs.find((l) => l.includes('MLLP connection denied'));
    expect(line && JSON.parse(line)).toMatchObject({ remote: `127.0.0.1:${localPort}`, level: 40 });
  });

  it('closes a TLS peer from outside the list before its handshake', async () => {
    const peer = connectTls(outside.port, { ca: pki.ca, key: lab1.key, cert: lab1.cert });
    const { error } = await peer.closed;
    expect(error?.code).toBe('ECONNRESET'); // "socket disconnected before secure TLS connection was established"
    expect(outside.app.mllp?.counters).toMatchObject({ connectionsDenied: 2, tlsHandshakeFailures: 0, connectionsOpened: 0 });
  });

  it('serves a peer inside the list', async () => {
    expect(await exchangePlain(inside.port, { controlId: 'ALLOW-IN-1' })).toMatchObject({ code: 'AA', controlId: 'ALLOW-IN-1' });
    expect(inside.app.mllp?.counters.connectionsDenied).toBe(0);
  });
});

describe(`identity rules by address (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(db, {
      senders: [
        { cidr: '127.0.0.1/32', sendingApplications: ['LAB'], sendingFacilities: ['NORTH'] },
        { cidr: '10.0.0.0/8', sendingApplications: ['RAD'], sendingFacilities: ['*'] },
      ],
    });
  });
  afterAll(() => t?.close());

  it.each([
    ['the claimed MSH-3 and MSH-4', { sendingApplication: 'LAB', sendingFacility: 'NORTH' }],
    ['an MSH-3 whose namespace id is listed (LAB^2.16.840.1^ISO)', { sendingApplication: 'LAB^2.16.840.1^ISO', sendingFacility: 'NORTH' }],
  ])('accepts %s', async (_name, claim) => {
    const controlId = `ID-OK-${claim.sendingApplication.length}`;
    expect(await exchangePlain(t.port, { ...claim, controlId })).toMatchObject({ code: 'AA', controlId });
    expect((await t.app.store?.listMessages({ controlId }))?.map((r) => r.status)).toEqual(['received']);
  });

  it.each([
    ['an MSH-3 listed only for another address', { sendingApplication: 'RAD', sendingFacility: 'NORTH' }, 3],
    ['an MSH-4 that is not listed', { sendingApplication: 'LAB', sendingFacility: 'SOUTH' }, 4],
    ['a namespace that merely starts like a listed one', { sendingApplication: 'LABX', sendingFacility: 'NORTH' }, 3],
  ])('answers AR 207 "not authorised" to %s, and stores it as rejected', async (_name, claim, field) => {
    const controlId = `ID-NO-${claim.sendingApplication}-${claim.sendingFacility}`;
    const ack = await exchangePlain(t.port, { ...claim, controlId });
    expect(ack).toMatchObject({ code: 'AR', controlId });
    expect(ack.err).toHaveLength(1);
    expect(ack.err[0]).toMatch(new RegExp(`^ERR\\|\\|MSH\\^1\\^${field}\\|207\\^Application internal error\\^HL70357\\|E\\|{4}not authorised`));
    const rows = (await t.app.store?.listMessages({ controlId })) ?? [];
    expect(rows.map((r) => [r.status, r.ackCode])).toEqual([['rejected', 'AR']]);
    expect(rows[0]?.error).toMatch(new RegExp(`^MSH-${field}: not authorised`));
    // Names the field, never the value the sender claimed.
    expect(rows[0]?.error).not.toContain(field === 3 ? claim.sendingApplication : claim.sendingFacility);
  });

  it('tells an unauthorised sender nothing about other problems of its message', async () => {
    const ack = await exchangePlain(t.port, { sendingApplication: 'RAD', sendingFacility: 'NORTH', controlId: 'ID-NO-PID', body: ['EVN|A01'] });
    expect(ack.code).toBe('AR');
    expect(ack.err.map((e) => e.split('|')[3])).toEqual(['207^Application internal error^HL70357']);
  });
});

describe(`identity rules by client certificate (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let t: TestApp;
  let plainPort: number;
  const LAB1 = 'CN=lab1,O=Hospital,C=CH';

  beforeAll(async () => {
    t = await startTestApp(db, {
      mllp: { tls: tlsFiles, plainPort: 0 },
      https: { enabled: true, tls: tlsFiles, apiKeys: [{ name: 'lab', sha256: createHash('sha256').update(API_KEY).digest('hex'), roles: ['ingest'] }] },
      senders: [
        // A whole HD field: namespace, universal id and its type must all match.
        { certSubject: LAB1, sendingApplications: ['LIS^1.2.3^ISO'], sendingFacilities: ['NORTH'] },
        { cidr: '127.0.0.1/32', certSubject: 'CN=lab2,O=Hospital,C=CH', sendingApplications: ['POCT'], sendingFacilities: ['*'] },
      ],
    });
    plainPort = t.app.mllp?.plainAddress()?.port ?? 0;
  });
  afterAll(() => t?.close());

  const asLab1 = { ca: pki.ca, key: lab1.key, cert: lab1.cert };
  const asLab2 = { ca: pki.ca, key: lab2.key, cert: lab2.cert };

  it('accepts what the certificate may claim and records its subject', async () => {
    const ack = await exchangeTls(t.port, asLab1, { sendingApplication: 'LIS^1.2.3^ISO', sendingFacility: 'NORTH', controlId: 'CERT-OK-1' });
    expect(ack.code).toBe('AA');
    const rows = (await t.app.store?.listMessages({ controlId: 'CERT-OK-1' })) ?? [];
    expect(rows.map((r) => [r.status, r.tlsClientSubject])).toEqual([['received', LAB1]]);
    expect((await exchangeTls(t.port, asLab2, { sendingApplication: 'POCT', sendingFacility: 'ICU', controlId: 'CERT-OK-2' })).code).toBe('AA');
  });

  it.each([
    ['the namespace alone where the rule lists a whole HD field', asLab1, 'LIS', 'CERT-NO-1'],
    ['another universal id', asLab1, 'LIS^9.9.9^ISO', 'CERT-NO-2'],
    ["another certificate's MSH-3", asLab2, 'LIS^1.2.3^ISO', 'CERT-NO-3'],
  ])('answers AR 207 to %s', async (_name, tls, sendingApplication, controlId) => {
    const ack = await exchangeTls(t.port, tls, { sendingApplication, sendingFacility: 'NORTH', controlId });
    expect(ack.code).toBe('AR');
    expect(ack.err[0]).toContain('|207^');
    const rows = (await t.app.store?.listMessages({ controlId })) ?? [];
    expect(rows.map((r) => [r.status, r.tlsClientSubject !== null])).toEqual([['rejected', true]]);
  });

  it.each([
    ['its own certificate', asLab1, 200, 'AA'],
    ["another sender's certificate", asLab2, 403, 'AR'],
  ])('over HTTPS applies the same rules: with %s, %i and the ACK', async (_name, tls, status, code) => {
    const controlId = `CERT-HTTPS-${status}`;
    const answer = await send({
      port: t.httpsPort ?? 0,
      ...tls,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/hl7-v2' },
      body: buildMessage({ sendingApplication: 'LIS^1.2.3^ISO', sendingFacility: 'NORTH', controlId }),
    });
    expect(answer.status).toBe(status);
    expect(readAck(answer.body)).toMatchObject({ code, controlId });
    if (code === 'AR') expect(readAck(answer.body).err[0]).toContain('|207^');
  });

  it('answers AR 207 on the plain listener, where no certificate vouches for the claim', async () => {
    const ack = await exchangePlain(plainPort, { sendingApplication: 'LIS^1.2.3^ISO', sendingFacility: 'NORTH', controlId: 'CERT-NO-PLAIN' });
    expect(ack.code).toBe('AR');
    expect(ack.err[0]).toContain('|207^');
  });
});
