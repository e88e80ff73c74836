import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DbConfig } from '../../src/config/schema.ts';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { countReceivedRows } from '../support/db-rows.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { proxiedDatabase, type ProxiedDatabase } from '../support/proxied-db.ts';
import { fullRows } from '../support/stored-rows.ts';

// HL7 batches (FHS/BHS … BTS/FTS) over a real MLLP connection, one frame per batch, on both
// engines: the answer envelope, one row per message, one transaction per batch.

const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'corpus');
const corpus = (file: string) => readFileSync(join(corpusDir, file));

const BHS = (id: string) => `BHS|^~\\&|SENDER|SFAC|LISTENER|HOSP|20260115103000||||${id}\r`;
const batch = (id: string, ...messages: string[]) => `${BHS(id)}${messages.join('')}BTS|${messages.length}\r`;
const file = (id: string, ...batches: string[]) => `FHS|^~\\&|SENDER|SFAC|||20260115103000||||${id}\r${batches.join('')}FTS|${batches.length}\r`;

/** Read without the service's code: envelope segments (id, first field, BHS-12/FHS-12) and MSA per ACK. */
function readEnvelope(reply: Buffer) {
  const segments = reply.toString('latin1').split('\r').filter((s) => s !== '');
  const envelope = segments
    .filter((s) => /^(FHS|BHS|BTS|FTS)/.test(s))
    .map((s) => {
      const f = s.split(s.charAt(3));
      return /^(FHS|BHS)/.test(s) ? `${f[0]} ref=${f[11] ?? ''}` : `${f[0]}|${f[1] ?? ''}`;
    });
  const acks = segments.filter((s) => s.startsWith('MSA')).map((s) => s.split('|').slice(1, 3).join(' '));
  return { envelope, acks, errs: segments.filter((s) => s.startsWith('ERR')) };
}

/** The messages of a batch file, cut the way the standard says (MSH up to the next MSH or envelope segment). */
function messagesOf(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  const starts = [...text.matchAll(/(?<=^|\r|\n)(MSH|BTS|BHS|FTS|FHS)/g)].map((m) => ({ at: m.index ?? 0, id: m[1] }));
  return starts.flatMap((s, i) => (s.id === 'MSH' ? [bytes.subarray(s.at, starts[i + 1]?.at ?? bytes.length)] : []));
}

const mariadb = await createTestDatabase('batch');
const engines: [string, DbConfig | 'sqlite' | null][] = [
  ['sqlite', 'sqlite'],
  ['mariadb', mariadb?.config ?? null],
];

describe.each(engines)('batches over MLLP (%s)', (_engine, db) => {
  let t: TestApp;

  beforeAll(async () => {
    if (db !== null) t = await startTestApp(db);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function exchange(payload: string | Buffer): Promise<Buffer> {
    const peer = await openRawPeer(t.port);
    peer.send(payload);
    const reply = await peer.reply(1);
    peer.end();
    return reply;
  }

  it.skipIf(db === null).each([
    ['valid/pythonhl7__sample_batch_BHS_BTS.hl7', ['BHS ref=abchs20070101123401-1', 'BTS|1']],
    ['valid/pythonhl7__sample_file_FHS_BHS_BTS_FTS.hl7', ['FHS ref=', 'BHS ref=abchs20070101123401-1', 'BTS|1', 'FTS|1']],
    [
      'valid/pythonhl7__sample_file1_two_batches_three_messages.hl7',
      ['FHS ref=', 'BHS ref=abchs20070101123401-1', 'BTS|2', 'BHS ref=abchs20070101123401-2', 'BTS|1', 'FTS|2'],
    ],
  ])('answers the corpus file %s with one ACK per message and stores each message', async (name, envelope) => {
    const bytes = corpus(name);
    const seen = readEnvelope(await exchange(bytes));
    expect(seen.envelope).toEqual(envelope);
    const messages = messagesOf(bytes);
    // MSH-15/MSH-16 are NE: a batch answers every message anyway, with the commit code.
    expect(seen.acks).toEqual(messages.map((m) => `CA ${m.toString('latin1').split('|')[9]}`));
    const stored = await fullRows(t.app.store, { sendingFacility: 'ABCHS' });
    for (const message of messages) expect(stored?.some((r) => r.status === 'received' && r.raw.equals(message))).toBe(true);
  });

  it.skipIf(db === null)('accepts and refuses messages of one batch on their own, in one envelope', async () => {
    const reply = await exchange(
      batch('MIX-1', buildMessage({ controlId: 'MIX-A' }), buildMessage({ controlId: 'MIX-B', type: 'ORM', event: 'O01' }), buildMessage({ controlId: 'MIX-C', body: ['EVN|A01'] })),
    );
    const seen = readEnvelope(reply);
    expect(seen.envelope).toEqual(['BHS ref=MIX-1', 'BTS|3']);
    expect(seen.acks).toEqual(['AA MIX-A', 'AR MIX-B', 'AE MIX-C']);
    const rows = await t.app.store?.listMessages({ sendingApplication: 'TESTAPP', limit: 500 });
    const mine = rows?.filter((r) => r.controlId?.startsWith('MIX-')).map((r) => [r.controlId, r.status, r.ackCode]);
    expect(mine?.sort()).toEqual([
      ['MIX-A', 'received', 'AA'],
      ['MIX-B', 'rejected', 'AR'],
      ['MIX-C', 'rejected', 'AE'],
    ]);
  });

  it.skipIf(db === null)('answers a file of several batches batch by batch', async () => {
    const reply = await exchange(
      file('F-1', batch('FB-1', buildMessage({ controlId: 'FB-A' })), batch('FB-2'), batch('FB-3', buildMessage({ controlId: 'FB-B' }), buildMessage({ controlId: 'FB-C' }))),
    );
    expect(readEnvelope(reply)).toMatchObject({
      envelope: ['FHS ref=F-1', 'BHS ref=FB-1', 'BTS|1', 'BHS ref=FB-2', 'BTS|0', 'BHS ref=FB-3', 'BTS|2', 'FTS|3'],
      acks: ['AA FB-A', 'AA FB-B', 'AA FB-C'],
    });
  });

  it.skipIf(db === null)('answers an empty batch with an empty envelope', async () => {
    expect(readEnvelope(await exchange(batch('EMPTY-1')))).toEqual({ envelope: ['BHS ref=EMPTY-1', 'BTS|0'], acks: [], errs: [] });
  });

  it.skipIf(db === null)('refuses a broken batch header with one AR addressed to BHS-11, stored as one refused row', async () => {
    const payload = `${BHS('BROKEN-1')}${buildMessage({ controlId: 'BR-A' })}${BHS('BROKEN-2')}BTS|1\r`;
    const ack = readAck(await exchange(payload));
    expect(ack).toMatchObject({ code: 'AR', controlId: 'BROKEN-1' });
    expect(ack.msh[0]).toBe('MSH');
    expect(ack.err.join()).toContain('100');
    const rows = await fullRows(t.app.store, { controlId: 'BROKEN-1' });
    expect(rows?.map((r) => [r.status, r.raw.toString('latin1')])).toEqual([['rejected', payload]]);
    expect(await t.app.store?.countMessages({ controlId: 'BR-A' })).toBe(0);
  });

  it.skipIf(db === null)('stores an exact copy inside a batch once, and answers a resent batch as before', async () => {
    const payload = batch('DUP-1', buildMessage({ controlId: 'DUP-A' }), buildMessage({ controlId: 'DUP-A' }), buildMessage({ controlId: 'DUP-B' }));
    expect(readEnvelope(await exchange(payload)).acks).toEqual(['AA DUP-A', 'AA DUP-A', 'AA DUP-B']);
    expect(readEnvelope(await exchange(payload)).acks).toEqual(['AA DUP-A', 'AA DUP-A', 'AA DUP-B']);
    expect(await t.app.store?.countMessages({ controlId: 'DUP-A' })).toBe(1);
    expect(await t.app.store?.countMessages({ controlId: 'DUP-B' })).toBe(1);
  });

  it.skipIf(db === null)('answers batches and single messages of one connection in arrival order', async () => {
    const peer = await openRawPeer(t.port);
    peer.send(buildMessage({ controlId: 'ORD-1' }));
    peer.send(batch('ORD-B', buildMessage({ controlId: 'ORD-2' })));
    peer.send(buildMessage({ controlId: 'ORD-3' }));
    const replies = [await peer.reply(1), await peer.reply(2), await peer.reply(3)];
    peer.end();
    expect(readAck(replies[0] as Buffer).controlId).toBe('ORD-1');
    expect(readEnvelope(replies[1] as Buffer).acks).toEqual(['AA ORD-2']);
    expect(readAck(replies[2] as Buffer).controlId).toBe('ORD-3');
  });

  it.skipIf(db === null)('kept message bodies out of the logs', () => {
    const logs = t.logs.join('\n');
    expect(logs).toContain('batch received');
    expect(logs).not.toMatch(/PID\||PAT-12345/);
  });
});

describe.skipIf(mariadb === null)('a batch when MariaDB is cut (mariadb)', () => {
  let db: ProxiedDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await proxiedDatabase(mariadb as TestDatabase);
    t = await startTestApp(db.config);
  });
  afterAll(async () => {
    await t?.close();
    await db?.close();
  });

  it('answers AR 207 for every message and stores none of them; the resent batch is stored whole', async () => {
    const payload = batch('CUT-1', ...['CUT-A', 'CUT-B', 'CUT-C'].map((controlId) => buildMessage({ controlId })));
    const peer = await openRawPeer(t.port);
    db.proxy.pause();
    peer.send(payload);
    // The batch's write is on the wire when the connection to the database is lost.
    await db.proxy.waitForTraffic();
    db.proxy.cut();
    const cut = readEnvelope(await peer.reply(1));
    expect(cut.acks).toEqual(['AR CUT-A', 'AR CUT-B', 'AR CUT-C']);
    expect(cut.errs.every((e) => e.includes('207'))).toBe(true);
    // Read straight from MariaDB: not one message of the batch was committed.
    expect((await countReceivedRows(db.direct, 'CUT-')).received.size).toBe(0);
    db.proxy.restore();
    let acks: string[] = [];
    for (let attempt = 2; attempt < 22 && acks[0] !== 'AA CUT-A'; attempt++) {
      peer.send(payload);
      acks = readEnvelope(await peer.reply(attempt)).acks;
    }
    expect(acks).toEqual(['AA CUT-A', 'AA CUT-B', 'AA CUT-C']);
    peer.end();
    const counts = await countReceivedRows(db.direct, 'CUT-');
    expect([...counts.received].sort()).toEqual([
      ['CUT-A', 1],
      ['CUT-B', 1],
      ['CUT-C', 1],
    ]);
  });
});
