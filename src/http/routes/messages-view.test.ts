import { describe, expect, it } from 'vitest';
import { newRow, storedRow } from '../../../test/support/rows.ts';
import { toDetail } from './messages-view.ts';

// The detail view splits a stored message as ingest did (src/hl7/segments.ts).

const MSH = 'MSH|^~\\&|LAB|FAC|RCV|RFAC|20260102030405||ORU^R01|C1|P|2.5.1';
const OBX = 'OBX|1|TX|||Report line one\nline two||||||F';

describe('toDetail: segments', () => {
  it.each([
    ['CR', '\r'],
    ['CRLF', '\r\n'],
  ])('keeps a bare LF inside a field of a %s message in its segment', (_name, separator) => {
    const raw = Buffer.from([MSH, 'PID|1||7', OBX].join(separator) + separator);
    expect(toDetail(storedRow(newRow({ raw, charset: 'UTF-8' }), 1)).segments).toEqual([MSH, 'PID|1||7', OBX]);
  });

  it('splits an LF message on LF and drops trailing padding', () => {
    const raw = Buffer.from(`${MSH}\nPID|1||7\n\0\x1a`);
    expect(toDetail(storedRow(newRow({ raw, charset: 'UTF-8' }), 1)).segments).toEqual([MSH, 'PID|1||7']);
  });
});
