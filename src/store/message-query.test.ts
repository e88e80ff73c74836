import { describe, expect, it } from 'vitest';
import { countMessagesSql, defaultListLimit, deleteByIdsSql, selectExpiredSql, selectMessagesSql } from './message-query.ts';

const iso = (date: Date): string => date.toISOString();
const at = new Date('2024-03-01T10:00:00.123Z');

describe('message queries', () => {
  it.each([
    [undefined, defaultListLimit],
    [10, 10],
    [0, 1],
    [-5, 1],
    [2.7, 2],
    [Number.NaN, defaultListLimit],
    [100_000, 100_000],
  ])('limit %s becomes LIMIT %s', (limit, expected) => {
    expect(selectMessagesSql({ limit }, iso).sql).toMatch(new RegExp(` LIMIT ${expected}$`));
  });

  it('binds every equality filter as a parameter, never inline', () => {
    const { sql, params } = selectMessagesSql(
      {
        controlId: "x' OR 1=1",
        sendingApplication: 'APP',
        sendingFacility: 'FAC',
        messageType: 'ADT',
        triggerEvent: 'A01',
        patientId: 'P1',
        status: 'received',
        transport: 'mllp',
      },
      iso,
    );
    expect(sql).toContain(
      'WHERE control_id = ? AND sending_application = ? AND sending_facility = ? AND message_type = ? AND ' +
        'trigger_event = ? AND patient_id = ? AND status = ? AND transport = ?',
    );
    expect(params).toEqual(["x' OR 1=1", 'APP', 'FAC', 'ADT', 'A01', 'P1', 'received', 'mllp']);
  });

  it('encodes from, to and the keyset position with the engine encoder', () => {
    const { sql, params } = countMessagesSql({ from: at, to: at, after: { receivedAt: at, id: 7 } }, iso);
    expect(sql).toBe(
      'SELECT COUNT(*) AS n FROM hl7_message WHERE received_at >= ? AND received_at < ? AND ' +
        'received_at <= ? AND (received_at < ? OR id < ?)',
    );
    expect(params).toEqual([iso(at), iso(at), iso(at), iso(at), 7]);
  });

  it('selects no blob for a list, only its size', () => {
    const { sql } = selectMessagesSql({}, iso);
    const columns = sql.slice('SELECT '.length, sql.indexOf(' FROM ')).split(', ');
    expect(columns.filter((column) => /\b(raw|ack)\b/.test(column))).toEqual(['LENGTH(raw) AS raw_bytes', 'LENGTH(ack) AS ack_bytes']);
    expect(columns).toContain('patient_authority');
  });

  it('orders the list newest first with id as the tie-break', () => {
    expect(selectMessagesSql({}, iso).sql).toContain('ORDER BY received_at DESC, id DESC');
  });

  it.each([
    ['both statuses', at, at, 2],
    ['accepted only', at, null, 1],
    ['refused only', null, at, 1],
  ] as const)('expiry reads one bounded range per status: %s', (_name, acceptedBefore, rejectedBefore, branches) => {
    const select = selectExpiredSql({ acceptedBefore, rejectedBefore, limit: 50 }, iso);
    expect(select?.sql.match(/LIMIT 50/g)).toHaveLength(branches + 1);
    expect(select?.params).toHaveLength(2 * branches);
  });

  it('expires nothing when both statuses are kept or the limit is 0', () => {
    expect(selectExpiredSql({ acceptedBefore: null, rejectedBefore: null, limit: 10 }, iso)).toBeNull();
    expect(selectExpiredSql({ acceptedBefore: at, rejectedBefore: at, limit: 0 }, iso)).toBeNull();
  });

  it('deletes by an inlined list of integer ids', () => {
    expect(deleteByIdsSql([3, 1, 2])).toBe('DELETE FROM hl7_message WHERE id IN (3, 1, 2)');
  });
});
