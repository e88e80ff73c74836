import { describe, expect, it } from 'vitest';
import { insertParams, defaultListLimit, selectMessagesSql } from './message-sql.ts';
import type { NewMessage } from './store.ts';

const row: NewMessage = {
  dedupKey: null,
  controlId: 'C1',
  sendingApplication: null,
  sendingFacility: null,
  receivingApplication: null,
  receivingFacility: null,
  messageType: null,
  triggerEvent: null,
  version: null,
  patientId: null,
  transport: 'https',
  remoteAddress: null,
  receivedAt: new Date('2024-01-01T00:00:00.000Z'),
  charset: null,
  raw: Buffer.from('x'),
  contentHash: 'h',
  ackCode: null,
  ack: null,
  status: 'rejected',
  error: null,
};

describe('message SQL', () => {
  it.each([
    [undefined, defaultListLimit],
    [10, 10],
    [0, 1],
    [-5, 1],
    [2.7, 2],
    [Number.NaN, defaultListLimit],
    [100_000, 100_000],
  ])('limit %s becomes LIMIT %s', (limit, expected) => {
    expect(selectMessagesSql({ limit }).sql).toMatch(new RegExp(` LIMIT ${expected}$`));
  });

  it('binds filter values as parameters, never inline', () => {
    const { sql, params } = selectMessagesSql({ controlId: "x' OR 1=1", status: 'received', patientId: 'P1' });
    expect(sql).toContain('WHERE control_id = ? AND status = ? AND patient_id = ?');
    expect(params).toEqual(["x' OR 1=1", 'received', 'P1']);
  });

  it('cuts by code points, never splitting a surrogate pair', () => {
    const params = insertParams({ ...row, charset: '🏥'.repeat(40) }, (date) => date.toISOString());
    expect(params).toContain('🏥'.repeat(32));
  });

  it('passes the date through the engine encoder', () => {
    expect(insertParams(row, (date) => date.getTime())).toContain(row.receivedAt.getTime());
  });
});
