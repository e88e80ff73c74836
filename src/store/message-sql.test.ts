import { describe, expect, it } from 'vitest';
import { newRow } from '../../test/support/rows.ts';
import { insertParams, insertRowsSql, pushInsertParams, rowBytes, type SqlValue } from './message-sql.ts';

const row = newRow();

describe('message SQL', () => {
  it('cuts by code points, never splitting a surrogate pair', () => {
    const params = insertParams({ ...row, charset: '🏥'.repeat(40) }, (date) => date.toISOString());
    expect(params).toContain('🏥'.repeat(32));
  });

  it('cuts the TLS client subject to its 512 characters', () => {
    expect(insertParams({ ...row, tlsClientSubject: 'CN='.padEnd(600, 'x') }, (date) => date)).toContain('CN='.padEnd(512, 'x'));
  });

  it('passes the date through the engine encoder', () => {
    expect(insertParams(row, (date) => date.getTime())).toContain(row.receivedAt.getTime());
  });

  it.each([1, 2, 33])('builds a %s-row INSERT whose placeholders match the flat parameters', (rows) => {
    const params: SqlValue[] = [];
    for (let i = 0; i < rows; i += 1) pushInsertParams(params, row, (date) => date);
    expect(insertRowsSql(rows).match(/\?/g)).toHaveLength(params.length);
    expect(insertRowsSql(rows)).toBe(insertRowsSql(rows));
  });

  it('bounds a row size from above: blobs whole, text at 3 bytes per unit', () => {
    const big = { ...row, raw: Buffer.alloc(10_000), ack: Buffer.alloc(500), patientId: 'é'.repeat(100) };
    const text = Object.values(big).filter((value): value is string => typeof value === 'string');
    const utf8 = text.reduce((sum, value) => sum + Buffer.byteLength(value), 0);
    expect(rowBytes(big)).toBeGreaterThanOrEqual(10_500 + utf8);
    expect(rowBytes(big)).toBeLessThan(12_000);
  });
});
