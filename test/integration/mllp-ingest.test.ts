import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { buildAckMessage, buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { fullRows } from '../support/stored-rows.ts';

// The MLLP door end to end on real sockets, on both engines: a real MariaDB database made for
// this file, and the embedded store (the default, and what runs where MariaDB is absent).

const mariadb: TestDatabase | null = await createTestDatabase('ingest');

const engines = [
  { engine: 'sqlite', db: 'sqlite' as const, drop: async () => undefined },
  ...(mariadb ? [{ engine: 'mariadb', db: mariadb.config, drop: () => mariadb.drop() }] : []),
];

describe.each(engines)('MLLP ingest on $engine', ({ db, drop }) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(db, { mllp: { maxMessageBytes: 64 * 1024, frameTimeoutMs: 300 } });
  });
  afterAll(async () => {
    await t?.close();
    await drop();
  });

  async function rowsFor(controlId: string) {
    return fullRows(t.app.store, { controlId });
  }

  it('answers several messages on one kept-open connection in order, each stored before its AA', async () => {
    const peer = await openRawPeer(t.port);
    const ids = ['KEEP-1', 'KEEP-2', 'KEEP-3', 'KEEP-4', 'KEEP-5'];
    for (const id of ids) peer.send(buildMessage({ controlId: id, type: id.endsWith('2') ? 'ORU' : 'ADT', event: id.endsWith('2') ? 'R01' : 'A01' }));
    for (const [i, id] of ids.entries()) {
      const ack = readAck(await peer.reply(i + 1));
      expect(ack).toMatchObject({ code: 'AA', controlId: id });
      const rows = await rowsFor(id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'received', ackCode: 'AA', transport: 'mllp', patientId: 'PAT-12345' });
    }
    peer.end();
    await peer.closed;
  });

  it('stores the exact bytes between the blocks and the exact ACK bytes sent', async () => {
    const peer = await openRawPeer(t.port);
    const message = Buffer.from(buildMessage({ controlId: 'EXACT-1', msh18: '8859/1', note: 'caf\u00e9' }), 'latin1');
    peer.send(message);
    const ack = await peer.reply(1);
    const [row] = await rowsFor('EXACT-1');
    expect(row?.raw.equals(message)).toBe(true);
    expect(row?.ack?.equals(ack)).toBe(true);
    expect(row?.charset).toBe('ISO-8859-1');
    peer.end();
  });

  it('serves concurrent connections independently', async () => {
    const peers = await Promise.all(Array.from({ length: 8 }, () => openRawPeer(t.port)));
    peers.forEach((peer, i) => {
      for (let j = 0; j < 5; j++) peer.send(buildMessage({ controlId: `CONC-${i}-${j}` }));
    });
    for (const [i, peer] of peers.entries()) {
      for (let j = 0; j < 5; j++) expect(readAck(await peer.reply(j + 1))).toMatchObject({ code: 'AA', controlId: `CONC-${i}-${j}` });
      peer.end();
    }
    expect(await t.app.store?.countMessages({ status: 'received' })).toBeGreaterThanOrEqual(40);
  });

  it('answers an exact retransmission with AA again and writes no second row', async () => {
    const peer = await openRawPeer(t.port);
    const message = buildMessage({ controlId: 'DUP-1' });
    peer.send(message);
    peer.send(message);
    expect(readAck(await peer.reply(1)).code).toBe('AA');
    expect(readAck(await peer.reply(2)).code).toBe('AA');
    expect(await rowsFor('DUP-1')).toHaveLength(1);
    peer.end();
  });

  it('refuses the same MSH-10 with other content: AE, ERR 205, stored as rejected', async () => {
    const peer = await openRawPeer(t.port);
    peer.send(buildMessage({ controlId: 'CONFLICT-1', note: 'first' }));
    peer.send(buildMessage({ controlId: 'CONFLICT-1', note: 'second' }));
    expect(readAck(await peer.reply(1)).code).toBe('AA');
    const nak = readAck(await peer.reply(2));
    expect(nak.code).toBe('AE');
    expect(nak.err.join('\r')).toContain('205');
    const rows = await rowsFor('CONFLICT-1');
    expect(rows.map((r) => r.status).sort()).toEqual(['received', 'rejected']);
    peer.end();
  });

  it('treats MSH-10 as unique per sender: another MSH-3/MSH-4 with the same id is accepted', async () => {
    const peer = await openRawPeer(t.port);
    peer.send(buildMessage({ controlId: 'PERSENDER-1', sendingApplication: 'APP_A' }));
    peer.send(buildMessage({ controlId: 'PERSENDER-1', sendingApplication: 'APP_B', note: 'other' }));
    expect(readAck(await peer.reply(1)).code).toBe('AA');
    expect(readAck(await peer.reply(2)).code).toBe('AA');
    peer.end();
  });

  it.each([
    ['unsupported type', { type: 'ORM', event: 'O01', controlId: 'NAK-TYPE' }, 'AR', '200'],
    ['unsupported event', { type: 'ADT', event: 'Z99', controlId: 'NAK-EVENT' }, 'AR', '201'],
    ['unsupported version', { version: '2.3.z', controlId: 'NAK-VERSION' }, 'AR', '203'],
    ['missing PID', { controlId: 'NAK-PID', body: ['EVN|A01|20260115103000'] }, 'AE', '100'],
    ['bad MSH-7', { controlId: 'NAK-TS', timestamp: '20260230256100' }, 'AE', '102'],
  ])('answers %s with %s and ERR %s, stores it as rejected with the reason', async (_name, options, code, errCode) => {
    const peer = await openRawPeer(t.port);
    peer.send(buildMessage(options));
    const ack = readAck(await peer.reply(1));
    expect(ack.code).toBe(code);
    expect(ack.controlId).toBe(options.controlId);
    expect(ack.err.join('\r')).toContain(errCode);
    const [row] = await rowsFor(options.controlId);
    expect(row).toMatchObject({ status: 'rejected', ackCode: code });
    expect(row?.error).toBeTruthy();
    peer.end();
  });

  it('answers a frame without a readable MSH with AR, counts it, and keeps the connection open', async () => {
    const before = t.app.counters.unreadable;
    const peer = await openRawPeer(t.port);
    peer.send('PID|1||PAT-1\r');
    peer.send('\u00ff\u00fe garbage');
    peer.send(buildMessage({ controlId: 'AFTER-GARBAGE' }));
    expect(readAck(await peer.reply(1)).code).toBe('AR');
    expect(readAck(await peer.reply(2)).code).toBe('AR');
    expect(readAck(await peer.reply(3))).toMatchObject({ code: 'AA', controlId: 'AFTER-GARBAGE' });
    expect(t.app.counters.unreadable - before).toBe(2);
    peer.end();
  });

  it('drops and counts junk between frames and still answers the frames', async () => {
    const before = t.app.mllp?.counters.junkBytes ?? 0;
    const peer = await openRawPeer(t.port);
    peer.write('junk before\r\n');
    peer.send(buildMessage({ controlId: 'JUNK-1' }));
    peer.write('\n\nmore junk');
    peer.send(buildMessage({ controlId: 'JUNK-2' }));
    expect(readAck(await peer.reply(1)).controlId).toBe('JUNK-1');
    expect(readAck(await peer.reply(2)).controlId).toBe('JUNK-2');
    expect((t.app.mllp?.counters.junkBytes ?? 0) - before).toBeGreaterThanOrEqual(20);
    peer.end();
  });

  it('answers an oversize frame with AR naming the size and closes, beside a healthy sender', async () => {
    const healthy = await openRawPeer(t.port);
    const big = await openRawPeer(t.port);
    big.send(buildMessage({ controlId: 'BIG-1', note: 'x'.repeat(100 * 1024) }));
    healthy.send(buildMessage({ controlId: 'HEALTHY-1' }));
    const nak = readAck(await big.reply(1));
    expect(nak).toMatchObject({ code: 'AR', controlId: 'BIG-1' });
    await big.closed;
    expect(readAck(await healthy.reply(1)).code).toBe('AA');
    healthy.end();
  });

  it('closes a slow sender whose frame does not complete in time, beside a healthy sender', async () => {
    const slow = await openRawPeer(t.port);
    const healthy = await openRawPeer(t.port);
    slow.write(Buffer.concat([Buffer.from([0x0b]), Buffer.from(buildMessage({ controlId: 'SLOW-1' }).slice(0, 40))]));
    healthy.send(buildMessage({ controlId: 'HEALTHY-2' }));
    expect(readAck(await healthy.reply(1)).code).toBe('AA');
    await slow.closed;
    expect(slow.replies).toHaveLength(0);
    expect(await rowsFor('SLOW-1')).toHaveLength(0);
    healthy.end();
  });

  it.each<[string, { msh15?: string; msh16?: string }, string]>([
    ['MSH-15 AL', { msh15: 'AL' }, 'CA'],
    ['MSH-15 NE, MSH-16 AL', { msh15: 'NE', msh16: 'AL' }, 'AA'],
    ['empty MSH-15 with MSH-16 NE', { msh16: 'NE' }, 'CA'],
  ])('enhanced mode (%s) answers %s once the row is committed', async (_name, options, code) => {
    const controlId = `ENH-${code}-${options.msh15 ?? 'empty'}`;
    const peer = await openRawPeer(t.port);
    peer.send(buildMessage({ ...options, controlId }));
    expect(readAck(await peer.reply(1))).toMatchObject({ code, controlId });
    expect(await rowsFor(controlId)).toHaveLength(1);
    peer.end();
  });

  it('stores but does not answer when MSH-15 and MSH-16 are NE, and the connection stays open', async () => {
    const peer = await openRawPeer(t.port);
    peer.send(buildMessage({ controlId: 'SILENT-1', msh15: 'NE', msh16: 'NE' }));
    peer.send(buildMessage({ controlId: 'AFTER-SILENT' }));
    expect(readAck(await peer.reply(1)).controlId).toBe('AFTER-SILENT');
    expect(await rowsFor('SILENT-1')).toHaveLength(1);
    expect(peer.replies).toHaveLength(1);
    peer.end();
  });

  it('stores an inbound ACK message without answering it; the next message gets its own answer', async () => {
    const peer = await openRawPeer(t.port);
    peer.send(buildAckMessage('INBOUND-ACK-1', { msh15: 'AL' }));
    peer.send(buildMessage({ controlId: 'AFTER-INBOUND-ACK' }));
    expect(readAck(await peer.reply(1)).controlId).toBe('AFTER-INBOUND-ACK');
    expect(await rowsFor('INBOUND-ACK-1')).toMatchObject([{ status: 'received', messageType: 'ACK', ackCode: null, ack: null }]);
    expect(peer.replies).toHaveLength(1);
    peer.end();
  });

  it('never writes message content or patient identifiers to the logs', () => {
    const all = t.logs.join('\n');
    expect(all).not.toContain('PAT-12345');
    expect(all).not.toContain('TESTPATIENT');
    expect(all).not.toContain('synthetic test data');
    expect(all).toContain('"controlId":"NAK-TYPE"');
  });
});
