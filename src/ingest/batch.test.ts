import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../store/store.ts';
import { setupIngest } from '../../test/support/ingest-harness.ts';
import { buildAckMessage, buildMessage } from '../../test/support/messages.ts';
import { readAck } from '../../test/support/mllp-raw.ts';
import type { IngestOutcome } from './outcome.ts';

// Batches through the one use case, on a store made of plain data: rows, answers, counters.

const BHS = (id = 'B1') => `BHS|^~\\&|SENDER|SFAC|LISTENER|HOSP|20260115103000||||${id}\r`;
const batch = (...messages: string[]) => `${BHS()}${messages.join('')}BTS|${messages.length}\r`;
const file = (...batches: string[]) => `FHS|^~\\&|SENDER|SFAC|||20260115103000||||F1\r${batches.join('')}FTS|${batches.length}\r`;

/** The envelope's segments (id and first field) and the ACKs inside it. */
function readEnvelope(outcome: IngestOutcome) {
  const text = (outcome.ack ?? Buffer.alloc(0)).toString('latin1');
  const segments = text.split('\r').filter((s) => s !== '');
  const envelope = segments.filter((s) => /^(FHS|BHS|BTS|FTS)/.test(s)).map((s) => s.split('|').slice(0, 2).join('|'));
  const texts: string[] = [];
  for (const s of segments) {
    if (s.startsWith('MSH')) texts.push(`${s}\r`);
    else if (/^(MSA|ERR)/.test(s)) texts[texts.length - 1] += `${s}\r`;
  }
  const acks = texts.map((t) => readAck(t));
  return { text, envelope, acks, codes: acks.map((a) => `${a.code} ${a.controlId}`) };
}

describe('ingest: batches', () => {
  it('stores a batch acknowledgement (a batch of ACK messages) and never answers it', async () => {
    const { store, send, counters } = setupIngest();
    const outcome = await send(batch(buildAckMessage('K1'), buildAckMessage('K2')));
    expect(outcome).toMatchObject({ result: 'batch', ack: null, stored: true, httpStatus: 200 });
    expect(store.rows.map((r) => [r.controlId, r.status, r.messageType, r.ackCode])).toEqual([
      ['K1', 'received', 'ACK', null],
      ['K2', 'received', 'ACK', null],
    ]);
    expect(counters.inboundAcks).toBe(2);
  });

  it('answers every message of a mixed batch, an ACK message included, so the counts match what was sent', async () => {
    const { send } = setupIngest();
    const outcome = await send(batch(buildMessage({ controlId: 'C1' }), buildAckMessage('K3')));
    expect(readEnvelope(outcome).codes).toEqual(['AA C1', 'AA K3']);
  });

  it('stores each message of a batch as its own row and answers one ACK per message inside the envelope', async () => {
    const { store, send, counters } = setupIngest();
    const messages = [buildMessage({ controlId: 'C1' }), buildMessage({ controlId: 'C2', type: 'ORM', event: 'O01' }), buildMessage({ controlId: 'C3', body: ['EVN|A01'] })];
    const outcome = await send(batch(...messages));
    expect(outcome).toMatchObject({ result: 'batch', ackCode: null, stored: true, controlId: 'B1', batch: { batches: 1, storeUnavailable: false } });
    expect(outcome.batch?.messages.map((m) => m.result)).toEqual(['accept', 'reject', 'error']);
    expect(readEnvelope(outcome).codes).toEqual(['AA C1', 'AR C2', 'AE C3']);
    expect(readEnvelope(outcome).text).toMatch(/^BHS\|\^~\\&\|LISTENER\|HOSP\|SENDER\|SFAC\|[^|]+\|\|\|\|ACK\d+\|B1\r/);
    expect(readEnvelope(outcome).text).toMatch(/\rBTS\|3\r$/);
    expect(store.rows.map((r) => [r.controlId, r.status, r.ackCode])).toEqual([
      ['C1', 'received', 'AA'],
      ['C2', 'rejected', 'AR'],
      ['C3', 'rejected', 'AE'],
    ]);
    store.rows.forEach((row, i) => expect(row.raw.toString()).toBe(messages[i]));
    // The stored ACK is the one inside the envelope.
    expect(outcome.ack?.includes(store.rows[0]?.ack as Buffer)).toBe(true);
    expect(counters).toMatchObject({ accepted: 1, refused: 2, duplicates: 0 });
  });

  it('answers every message whatever MSH-15/MSH-16 ask (NE/NE gets its commit ACK)', async () => {
    const { send } = setupIngest();
    const outcome = await send(batch(buildMessage({ controlId: 'C1', msh15: 'NE', msh16: 'NE' }), buildMessage({ controlId: 'C2', msh15: 'AL' })));
    expect(readEnvelope(outcome).codes).toEqual(['CA C1', 'CA C2']);
  });

  it('answers a file of batches with the same envelope, counting ACKs per batch and batches per file', async () => {
    const { store, send } = setupIngest();
    const outcome = await send(file(batch(buildMessage({ controlId: 'C1' }), buildMessage({ controlId: 'C2' })), `${BHS('B2')}BTS|0\r`));
    const seen = readEnvelope(outcome);
    expect(seen.envelope).toEqual(['FHS|^~\\&', 'BHS|^~\\&', 'BTS|2', 'BHS|^~\\&', 'BTS|0', 'FTS|2']);
    expect(seen.text).toMatch(/^FHS\|[^\r]*\|F1\r/);
    expect(seen.codes).toEqual(['AA C1', 'AA C2']);
    expect(store.rows).toHaveLength(2);
  });

  it('answers an empty batch with an empty envelope and stores nothing', async () => {
    const { store, send } = setupIngest();
    const outcome = await send(`${BHS()}BTS|0\r`);
    expect(outcome).toMatchObject({ result: 'batch', stored: false, batch: { messages: [], storeUnavailable: false } });
    expect(readEnvelope(outcome).envelope).toEqual(['BHS|^~\\&', 'BTS|0']);
    expect(store.rows).toHaveLength(0);
  });

  it.each([
    ['nested BHS', `${BHS('B7')}${buildMessage({ controlId: 'C1' })}${BHS('B8')}BTS|1\r`, 'B7', '100'],
    ['wrong BTS-1', `${BHS('B7')}${buildMessage({ controlId: 'C1' })}BTS|2\r`, 'B7', '100'],
    ['bad BHS-2', `BHS|^~|A||||||||B7\r${buildMessage({ controlId: 'C1' })}BTS|1\r`, 'B7', '102'],
  ])('refuses a broken envelope (%s) with one AR addressed to BHS-11, stored as one refused row', async (_name, text, controlId, code) => {
    const { store, send, counters } = setupIngest();
    const outcome = await send(text);
    expect(outcome).toMatchObject({ result: 'reject', ackCode: 'AR', controlId, stored: true });
    expect(outcome.batch).toBeUndefined();
    const ack = readAck(outcome.ack as Buffer);
    expect(ack).toMatchObject({ code: 'AR', controlId });
    expect(ack.err.join()).toContain(code);
    expect(store.rows).toHaveLength(1);
    expect(store.rows[0]).toMatchObject({ status: 'rejected', controlId, messageType: null });
    expect(store.rows[0]?.raw.toString()).toBe(text);
    expect(counters.refused).toBe(1);
  });

  it('refuses an oversize batch with one AR 207 addressed to BHS-11', async () => {
    const { ingest } = setupIngest();
    const head = Buffer.from(`${BHS('B9')}${buildMessage({ controlId: 'C1' })}`);
    const outcome = await ingest({ kind: 'oversize', head, bytes: 5_000_000 }, { transport: 'mllp', remoteAddress: null });
    expect(readAck(outcome.ack as Buffer)).toMatchObject({ code: 'AR', controlId: 'B9' });
    expect(outcome.issues[0]?.code).toBe('message-too-large');
  });

  describe('duplicates', () => {
    it('stores an exact copy inside the batch once and answers it as the first', async () => {
      const { store, send, counters, transactions } = setupIngest();
      const outcome = await send(batch(buildMessage({ controlId: 'C1' }), buildMessage({ controlId: 'C1' })));
      expect(outcome.batch?.messages.map((m) => m.result)).toEqual(['accept', 'duplicate']);
      // Settled before the store: one transaction, one row.
      expect(transactions.map((rows) => rows.length)).toEqual([1]);
      expect(readEnvelope(outcome).codes).toEqual(['AA C1', 'AA C1']);
      expect(store.rows).toHaveLength(1);
      expect(counters).toMatchObject({ accepted: 1, duplicates: 1 });
    });

    it.each([
      ['reject', ['AA C1', 'AE C1'], [['received'], ['rejected']]],
      ['accept', ['AA C1', 'AA C1'], [['received'], ['received']]],
    ] as const)('onConflict %s: the same MSH-10 with other content inside the batch', async (onConflict, codes, statuses) => {
      const { store, send, transactions } = setupIngest({ onConflict });
      const outcome = await send(batch(buildMessage({ controlId: 'C1', note: 'one' }), buildMessage({ controlId: 'C1', note: 'two' })));
      expect(readEnvelope(outcome).codes).toEqual(codes);
      expect(transactions).toHaveLength(1);
      expect(store.rows.map((r) => [r.status])).toEqual(statuses);
      if (onConflict === 'reject') expect(readEnvelope(outcome).acks[1]?.err.join()).toContain('205');
    });

    it('answers a message already stored (same content) as before, without a second row', async () => {
      const { store, send } = setupIngest();
      await send(buildMessage({ controlId: 'C1' }));
      const outcome = await send(batch(buildMessage({ controlId: 'C1' }), buildMessage({ controlId: 'C2' })));
      expect(outcome.batch?.messages.map((m) => m.result)).toEqual(['duplicate', 'accept']);
      expect(readEnvelope(outcome).codes).toEqual(['AA C1', 'AA C2']);
      expect(store.rows.map((r) => r.controlId)).toEqual(['C1', 'C2']);
    });

    it.each([
      ['reject', 'AE', ['received', 'received', 'rejected']],
      ['accept', 'AA', ['received', 'received', 'received']],
    ] as const)('onConflict %s: a stored MSH-10 with other content is settled by a second write', async (onConflict, code, statuses) => {
      const { store, send } = setupIngest({ onConflict });
      await send(buildMessage({ controlId: 'C1', note: 'one' }));
      const outcome = await send(batch(buildMessage({ controlId: 'C1', note: 'two' }), buildMessage({ controlId: 'C2' })));
      expect(readEnvelope(outcome).codes).toEqual([`${code} C1`, 'AA C2']);
      expect(store.rows.map((r) => r.status)).toEqual(statuses);
    });

    it('dedups a single message against one stored from a batch', async () => {
      const { store, send } = setupIngest({ onConflict: 'accept' });
      await send(batch(buildMessage({ controlId: 'C1', note: 'one' }), buildMessage({ controlId: 'C1', note: 'two' })));
      expect(await send(buildMessage({ controlId: 'C1', note: 'two' }))).toMatchObject({ result: 'duplicate' });
      expect(store.rows).toHaveLength(2);
    });
  });

  describe('store failures', () => {
    it('answers AR 207 for every message it would have accepted, keeps the refusals, stores nothing', async () => {
      const { store, send, counters } = setupIngest();
      store.failWith = new StoreUnavailableError('database did not answer within 5000 ms');
      const outcome = await send(batch(buildMessage({ controlId: 'C1' }), buildMessage({ controlId: 'C2', type: 'ORM', event: 'O01' }), buildMessage({ controlId: 'C1' })));
      expect(outcome).toMatchObject({ result: 'batch', stored: false, batch: { storeUnavailable: true } });
      expect(readEnvelope(outcome).codes).toEqual(['AR C1', 'AR C2', 'AR C1']);
      expect(readEnvelope(outcome).acks.map((a) => a.err.join())).toEqual([
        expect.stringContaining('207'),
        expect.stringContaining('200'),
        expect.stringContaining('207'),
      ]);
      expect(readEnvelope(outcome).text).toMatch(/\rBTS\|3\r$/);
      expect(store.rows).toHaveLength(0);
      expect(counters.storeFailures).toBe(3);
    });

    it('answers AR 207 for a conflict whose second write fails, after the batch itself committed', async () => {
      let calls = 0;
      const { store, send } = setupIngest({ onConflict: 'accept' }, (s) => ({
        ...s,
        insertMessages: async (rows) => {
          calls += 1;
          if (calls === 3) throw new StoreUnavailableError('gone');
          return s.insertMessages(rows);
        },
      }));
      await send(batch(buildMessage({ controlId: 'C1', note: 'one' })));
      const outcome = await send(batch(buildMessage({ controlId: 'C1', note: 'two' }), buildMessage({ controlId: 'C2' })));
      expect(readEnvelope(outcome).codes).toEqual(['AR C1', 'AA C2']);
      expect(store.rows.map((r) => r.controlId)).toEqual(['C1', 'C2']);
    });
  });
});
