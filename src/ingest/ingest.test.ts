import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { describeError } from '../hl7/errors.ts';
import { RowTooLargeError, StoreUnavailableError } from '../store/store.ts';
import { setupIngest } from '../../test/support/ingest-harness.ts';
import { buildAckMessage, buildMessage } from '../../test/support/messages.ts';
import { readAck } from '../../test/support/mllp-raw.ts';

// The use case with a store made of plain data: what is stored, and which ACK leaves, per case.

describe('ingest', () => {
  it('stores an accepted message with its exact ACK before returning AA', async () => {
    const { store, send } = setupIngest();
    const outcome = await send(buildMessage({ controlId: 'C1' }));
    expect(outcome).toMatchObject({ result: 'accept', ackCode: 'AA', stored: true, controlId: 'C1' });
    expect(store.rows).toHaveLength(1);
    expect(store.rows[0]).toMatchObject({ status: 'received', ackCode: 'AA', patientId: 'PAT-12345', patientAuthority: 'HOSP', messageType: 'ADT' });
    expect(store.rows[0]?.ack?.equals(outcome.ack as Buffer)).toBe(true);
    expect(readAck(outcome.ack as Buffer)).toMatchObject({ code: 'AA', controlId: 'C1' });
  });

  it('answers an exact retransmission with the same code and stores nothing more', async () => {
    const { store, send } = setupIngest();
    await send(buildMessage({ controlId: 'C1' }));
    const again = await send(buildMessage({ controlId: 'C1' }));
    expect(again).toMatchObject({ result: 'duplicate', ackCode: 'AA', stored: false });
    expect(store.rows).toHaveLength(1);
  });

  it.each([
    ['reject', 'error', 'AE', ['received', 'rejected']],
    ['accept', 'accept', 'AA', ['received', 'received']],
  ] as const)('onConflict %s: same MSH-10, other content → %s (%s)', async (onConflict, result, code, statuses) => {
    const { store, send } = setupIngest({ onConflict });
    await send(buildMessage({ controlId: 'C1', note: 'one' }));
    const second = await send(buildMessage({ controlId: 'C1', note: 'two' }));
    expect(second).toMatchObject({ result, ackCode: code });
    expect(store.rows.map((r) => r.status)).toEqual(statuses);
    if (onConflict === 'reject') expect(readAck(second.ack as Buffer).err.join()).toContain('205');
    const third = await send(buildMessage({ controlId: 'C1', note: 'two' }));
    expect(third.result).toBe(onConflict === 'accept' ? 'duplicate' : 'error');
  });

  it('answers AR 207 and stores nothing when the store is unavailable', async () => {
    const { store, send } = setupIngest();
    store.failWith = new StoreUnavailableError('database did not answer within 5000 ms');
    const outcome = await send(buildMessage({ controlId: 'C1' }));
    expect(outcome).toMatchObject({ result: 'reject', ackCode: 'AR', stored: false });
    expect(readAck(outcome.ack as Buffer).err.join()).toContain('207');
  });

  it.each([
    ['unavailable for now', new StoreUnavailableError('down'), 'store-unavailable' as const, 503, /send it again later/],
    ['too large for the database, for good', new RowTooLargeError('over max_allowed_packet'), 'message-too-large' as const, 413, /larger than the database accepts/],
  ])('tells the store %s apart in the AR, so only the first invites a resend', async (_name, failure, code, httpStatus, text) => {
    const { store, send } = setupIngest();
    store.failWith = failure;
    const outcome = await send(buildMessage({ controlId: 'C1' }));
    expect(outcome).toMatchObject({ result: 'reject', ackCode: 'AR', stored: false, issues: [{ code }] });
    expect(describeError(code).httpStatus).toBe(httpStatus);
    expect(readAck(outcome.ack as Buffer).err.join()).toMatch(text);
  });

  it('still answers a refused message when it cannot be stored', async () => {
    const { store, send } = setupIngest();
    store.failWith = new Error('boom');
    const outcome = await send(buildMessage({ controlId: 'C1', type: 'ORM', event: 'O01' }));
    expect(outcome).toMatchObject({ result: 'reject', ackCode: 'AR', stored: false });
  });

  it('counts each kind of outcome, frames without a readable MSH included', async () => {
    const { send, store, counters } = setupIngest();
    await send(buildMessage({ controlId: 'C1' }));
    await send(buildMessage({ controlId: 'C1' }));
    await send('PID|1||X\r');
    store.failWith = new StoreUnavailableError('down');
    await send(buildMessage({ controlId: 'C2' }));
    store.failWith = null;
    await send(inboundAck('A1'));
    expect(counters).toEqual({ accepted: 2, duplicates: 1, refused: 2, unreadable: 1, storeFailures: 1, inboundAcks: 1 });
  });

  it('stores a refused message with the reason and no dedup key', async () => {
    const { store, send } = setupIngest();
    const outcome = await send(buildMessage({ controlId: 'C1', type: 'ORM', event: 'O01' }));
    expect(outcome).toMatchObject({ result: 'reject', ackCode: 'AR', stored: true });
    expect(store.rows[0]).toMatchObject({ status: 'rejected', dedupKey: null, ackCode: 'AR' });
    expect(store.rows[0]?.error).toMatch(/MSH-9/);
  });

  it('stores without answering when MSH-15 and MSH-16 are NE', async () => {
    const { store, send } = setupIngest();
    const outcome = await send(buildMessage({ controlId: 'C1', msh15: 'NE', msh16: 'NE' }));
    expect(outcome).toMatchObject({ result: 'accept', ack: null, ackCode: null, stored: true });
    expect(store.rows[0]).toMatchObject({ ackCode: null, ack: null });
  });

  it('answers an oversize frame AR from its head, keeping the head as the refused row', async () => {
    const { store, ingest } = setupIngest();
    const head = Buffer.from(buildMessage({ controlId: 'BIG' }));
    const outcome = await ingest({ kind: 'oversize', head, bytes: 20_000_000 }, { transport: 'mllp', remoteAddress: null });
    expect(outcome).toMatchObject({ result: 'reject', ackCode: 'AR', controlId: 'BIG' });
    expect(store.rows[0]?.error).toMatch(/20000000 bytes/);
  });

  it('answers an oversize frame AR 207 for its size even when its head has no readable MSH', async () => {
    const { ingest } = setupIngest();
    const outcome = await ingest({ kind: 'oversize', head: Buffer.alloc(100, 0x41), bytes: 20_000_000 }, { transport: 'mllp', remoteAddress: null });
    expect(outcome).toMatchObject({ result: 'reject', ackCode: 'AR' });
    expect(outcome.issues.map((i) => i.code)).toEqual(['message-too-large']);
    expect(readAck(outcome.ack as Buffer).err.join()).toContain('207');
  });
});

// Every combination of MSH-15 (accept ACK) and MSH-16 (application ACK), table 0155 and empty.
const ackTypes = ['', 'AL', 'NE', 'ER', 'SU'];
const combinations = ackTypes.flatMap((msh15) => ackTypes.map((msh16) => [msh15, msh16] as const));

it.each([
  ['the MR repetition, not the first', 'X-1^^^OTHER^PI~PAT-7^^^HOSP^MR', 'PAT-7', 'HOSP'],
  ['the first non-empty one without MR', '^^^EMPTY^PI~P-2^^^CLINIC&1.2.3&ISO^PI', 'P-2', 'CLINIC&1.2.3&ISO'],
  ['no assigning authority', 'P-3', 'P-3', null],
])('stores the patient id and PID-3.4 of %s', async (_name, pid3, patientId, patientAuthority) => {
  const { store, send } = setupIngest();
  await send(buildMessage({ controlId: 'P1', body: [`PID|1||${pid3}||DOE^JOHN||19800101|M`] }));
  expect(store.rows[0]).toMatchObject({ patientId, patientAuthority });
});

describe('our own failures are always answered, whatever MSH-15/MSH-16 say', () => {
  it.each(combinations)('MSH-15 %j, MSH-16 %j: store unavailable → AR/CR 207, nothing stored', async (msh15, msh16) => {
    const { store, send } = setupIngest();
    store.failWith = new StoreUnavailableError('database did not answer within 5000 ms');
    const outcome = await send(buildMessage({ controlId: 'C1', msh15, msh16 }));
    expect(outcome).toMatchObject({ result: 'reject', stored: false, httpStatus: 503 });
    expect(outcome.ack).not.toBeNull();
    const ack = readAck(outcome.ack as Buffer);
    expect(['AR', 'CR']).toContain(ack.code);
    expect(ack.controlId).toBe('C1');
    expect(ack.err.join()).toContain('207');
    expect(store.rows).toHaveLength(0);
  });

  it.each(combinations)('MSH-15 %j, MSH-16 %j: too large for the store → AR/CR 207', async (msh15, msh16) => {
    const { store, send } = setupIngest();
    store.failWith = new RowTooLargeError('over max_allowed_packet');
    const outcome = await send(buildMessage({ controlId: 'C1', msh15, msh16 }));
    expect(['AR', 'CR']).toContain(outcome.ackCode);
    expect(outcome.httpStatus).toBe(413);
  });

  it('answers an oversize frame of an NE/NE sender (it was not stored as sent)', async () => {
    const { ingest } = setupIngest();
    const head = Buffer.from(buildMessage({ controlId: 'BIG', msh15: 'NE', msh16: 'NE' }));
    const outcome = await ingest({ kind: 'oversize', head, bytes: 20_000_000 }, { transport: 'mllp', remoteAddress: null });
    expect(['AR', 'CR']).toContain(outcome.ackCode);
  });

  it('still leaves a stored NE/NE message, and an NE/NE content error, unanswered', async () => {
    const { send } = setupIngest();
    expect((await send(buildMessage({ controlId: 'C1', msh15: 'NE', msh16: 'NE' }))).ack).toBeNull();
    expect((await send(buildMessage({ controlId: 'C2', msh15: 'NE', msh16: 'NE', timestamp: '2026' + '13' }))).ack).toBeNull();
  });
});

const inboundAck = buildAckMessage;

describe('inbound ACK messages (MSH-9.1 = ACK)', () => {
  it.each(['hl7', 'always'] as const)('are stored and never answered (ackMode %s), so two engines cannot ping-pong', async (ackMode) => {
    const { store, send } = setupIngest({ ackMode });
    const outcome = await send(inboundAck('A1', { msh15: 'AL' }));
    expect(outcome).toMatchObject({ result: 'accept', ack: null, ackCode: null, stored: true, httpStatus: 200 });
    expect(store.rows).toHaveLength(1);
    expect(store.rows[0]).toMatchObject({ status: 'received', messageType: 'ACK', ackCode: null, ack: null });
  });

  it('are not answered when refused either, nor when the store is down', async () => {
    const { store, send } = setupIngest({ ackMode: 'always' });
    const refused = await send(inboundAck('A2', { timestamp: '20261399' }));
    expect(refused).toMatchObject({ result: 'error', ack: null, stored: true, httpStatus: 400 });
    expect(store.rows[0]).toMatchObject({ status: 'rejected', messageType: 'ACK' });
    store.failWith = new StoreUnavailableError('down');
    expect((await send(inboundAck('A3'))).ack).toBeNull();
  });

  it('a retransmitted ACK message is one row, still unanswered', async () => {
    const { store, send } = setupIngest();
    await send(inboundAck('A4'));
    expect(await send(inboundAck('A4'))).toMatchObject({ result: 'duplicate', ack: null });
    expect(store.rows).toHaveLength(1);
  });
});

describe('logs', () => {
  it('cuts a huge MSH-10 in log lines to 64 characters (the row keeps it whole)', async () => {
    const lines: string[] = [];
    const controlId = `C${'9'.repeat(5_000)}`;
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const { store, send } = setupIngest({}, undefined, log);
    await send(buildMessage({ controlId, type: 'XYZ' }));
    expect(store.rows[0]?.controlId).toBe(controlId);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.length).toBeLessThan(1_000);
    expect(lines.join('')).toContain(`${controlId.slice(0, 64)}…`);
  });
});
