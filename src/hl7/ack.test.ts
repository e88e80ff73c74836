import { describe, expect, it } from 'vitest';
import { ackCodeFor, buildAck, resultOf, type AckInput, type AckResult } from './ack.ts';
import { ackEncodingFor } from './charset.ts';
import type { Issue } from './errors.ts';
import { parseMessage, type MessageHeader } from './message.ts';

const now = new Date(Date.UTC(2026, 0, 2, 3, 4, 5));

function header(msh: string): Partial<MessageHeader> {
  const result = parseMessage(Buffer.from(`${msh}\rPID|1||1\r`), { defaultCharset: 'UTF-8' });
  return result.ok ? result.message.header : (result.header ?? {});
}

const utf8 = ackEncodingFor('UTF-8');

function ack(input: Partial<AckInput> & Pick<AckInput, 'header'>): string {
  return buildAck({ code: 'AA', issues: [], controlId: 'ACK-1', now, sendingApplication: 'LISTENER', sendingFacility: 'HQ', encoding: utf8, ...input });
}

const msh7Missing: Issue = { code: 'required-field-missing', location: { segment: 'MSH', sequence: 1, field: 7 }, message: 'MSH-7 (date/time of message) is empty' };
const eventRefused: Issue = { code: 'unsupported-event', location: { segment: 'MSH', sequence: 1, field: 9, component: 2 }, message: 'event A99 of message type ADT is not accepted here' };
const pidMissing: Issue = { code: 'required-segment-missing', location: { segment: 'PID' }, message: 'PID segment is missing (required for ADT)' };

const v251 = 'MSH|^~\\&|LAB|HOSP|LISTENER-APP|LISTENER-FAC|20260101120000||ADT^A01^ADT_A01|MSG-1|P|2.5.1';
const v23 = 'MSH|^~\\&|LAB|HOSP|LISTENER-APP|LISTENER-FAC|20260101120000||ADT^A99|MSG-1|P|2.3';

describe('buildAck', () => {
  it('answers AA for 2.5.1', () => {
    expect(ack({ header: header(v251) })).toBe(
      'MSH|^~\\&|LISTENER-APP|LISTENER-FAC|LAB|HOSP|20260102030405+0000||ACK^A01^ACK|ACK-1|P|2.5.1||||||UNICODE UTF-8\rMSA|AA|MSG-1\r',
    );
  });

  it('answers AE for 2.5.1 with MSA-3 and an ERR-2/ERR-3/ERR-4/ERR-8 segment per issue', () => {
    expect(ack({ header: header(v251), code: 'AE', issues: [msh7Missing, eventRefused, pidMissing] })).toBe(
      'MSH|^~\\&|LISTENER-APP|LISTENER-FAC|LAB|HOSP|20260102030405+0000||ACK^A01^ACK|ACK-1|P|2.5.1||||||UNICODE UTF-8\r' +
        'MSA|AE|MSG-1|MSH-7 (date/time of message) is empty\r' +
        'ERR||MSH^1^7|101^Required field missing^HL70357|E||||MSH-7 (date/time of message) is empty\r' +
        'ERR||MSH^1^9^1^2|201^Unsupported event code^HL70357|E||||event A99 of message type ADT is not accepted here\r' +
        'ERR||PID^1|100^Segment sequence error^HL70357|E||||PID segment is missing (required for ADT)\r',
    );
  });

  it('answers AR for 2.3 with MSH-9 ACK^<event> and one ERR whose ERR-1 repeats per problem', () => {
    expect(ack({ header: header(v23), code: 'AR', issues: [eventRefused, msh7Missing, pidMissing] })).toBe(
      'MSH|^~\\&|LISTENER-APP|LISTENER-FAC|LAB|HOSP|20260102030405+0000||ACK^A99|ACK-1|P|2.3||||||UNICODE UTF-8\r' +
        'MSA|AR|MSG-1|event A99 of message type ADT is not accepted here\r' +
        'ERR|MSH^1^9^201&Unsupported event code&HL70357~' +
        'MSH^1^7^101&Required field missing&HL70357~' +
        'PID^1^^100&Segment sequence error&HL70357\r',
    );
  });

  it.each([
    ['2.1', 'ACK^A01|', 'ERR|MSH^1^7'],
    ['2.2', 'ACK^A01|', 'ERR|MSH^1^7'],
    ['2.3.1', 'ACK^A01^ACK|', 'ERR|MSH^1^7'],
    ['2.4', 'ACK^A01^ACK|', 'ERR|MSH^1^7'],
    ['2.5', 'ACK^A01^ACK|', 'ERR||MSH^1^7'],
    ['2.3.z', 'ACK^A01|', 'ERR|MSH^1^7'],
  ])('follows version %s', (version, msh9, err) => {
    const text = ack({ header: header(v251.replace('2.5.1', version)), code: 'AE', issues: [msh7Missing] });
    expect(text).toContain(`||${msh9}ACK-1|P|${version}||||||UNICODE UTF-8\r`);
    expect(text).toContain(`\r${err}`);
  });

  it('leaves MSA-3 out from 2.7, where it is withdrawn', () => {
    expect(ack({ header: header(v251.replace('2.5.1', '2.7')), code: 'AE', issues: [msh7Missing] })).toContain('\rMSA|AE|MSG-1\rERR||MSH^1^7|');
  });

  it("uses the sender's delimiters and echoes MSH-11, MSH-12 as written and MSH-18", () => {
    const msh = 'MSH#!@%*#SENDER!OID#FAC#RECV#RFAC#20260301120000##ADT!A01#MSG%F%7#T#2.5!FRA######UNICODE UTF-8';
    expect(ack({ header: header(msh), code: 'AE', issues: [eventRefused] })).toBe(
      'MSH#!@%*#RECV#RFAC#SENDER!OID#FAC#20260102030405+0000##ACK!A01!ACK#ACK-1#T#2.5!FRA######UNICODE UTF-8\r' +
        'MSA#AE#MSG%F%7#event A99 of message type ADT is not accepted here\r' +
        'ERR##MSH!1!9!1!2#201!Unsupported event code!HL70357#E####event A99 of message type ADT is not accepted here\r',
    );
  });

  it('keeps the truncation character in MSH-2 and escapes it', () => {
    const msh = 'MSH|^~\\&#|LAB|HOSP|RCV|RFAC|20260101120000||ORU^R01^ORU_R01|A\\P\\1|P|2.5.1';
    expect(ack({ header: header(msh) })).toBe('MSH|^~\\&#|RCV|RFAC|LAB|HOSP|20260102030405+0000||ACK^R01^ACK|ACK-1|P|2.5.1||||||UNICODE UTF-8\rMSA|AA|A\\P\\1\r');
  });

  it('falls back to defaults when the header is unreadable', () => {
    const issue: Issue = { code: 'no-msh', location: { segment: 'MSH' }, message: 'the message is empty' };
    expect(ack({ header: null, code: 'AR', issues: [issue] })).toBe(
      'MSH|^~\\&|LISTENER|HQ|||20260102030405+0000||ACK|ACK-1|P|2.5||||||UNICODE UTF-8\r' +
        'MSA|AR||the message is empty\r' +
        'ERR||MSH^1|100^Segment sequence error^HL70357|E||||the message is empty\r',
    );
  });

  it('uses the configured names (escaped) when MSH-5/MSH-6 are empty', () => {
    const msh = 'MSH|^~\\&|LAB|HOSP|||20260101120000||ADT^A01|MSG-1|P|2.4';
    expect(ack({ header: header(msh), sendingApplication: 'A|B', sendingFacility: 'C^D' })).toBe(
      'MSH|^~\\&|A\\F\\B|C\\S\\D|LAB|HOSP|20260102030405+0000||ACK^A01^ACK|ACK-1|P|2.4||||||UNICODE UTF-8\rMSA|AA|MSG-1\r',
    );
  });

  it('escapes MSA-2 and the texts', () => {
    const text = ack({ header: header(v251.replace('MSG-1', 'A\\F\\B')), code: 'AE', issues: [{ ...pidMissing, message: 'a|b^c' }] });
    expect(text).toContain('\rMSA|AE|A\\F\\B|a\\F\\b\\S\\c\r');
    expect(text).toContain('|E||||a\\F\\b\\S\\c\r');
  });

  it.each(['A\\T\\B', 'X\\X41\\', 'A\\.br\\B', 'A\\H\\B\\N\\', 'A\\Zlocal\\B', 'A\\Q\\B', 'A\\E\\B', ' 12 '])(
    'echoes MSH-10 %j in MSA-2 exactly as the sender wrote it',
    (msh10) => {
      expect(ack({ header: header(v251.replace('MSG-1', msh10)) })).toContain(`\rMSA|AA|${msh10}\r`);
    },
  );

  it('escapes MSH-10 for MSA-2 when the header has no raw MSH-10 (a hand-made header)', () => {
    expect(ack({ header: { controlId: 'A|B' } })).toContain('\rMSA|AA|A\\F\\B\r');
  });

  it('echoes what it can read when MSH-2 is broken', () => {
    const partial = header('MSH|^~&|LAB|HOSP|RCV|RFAC|20260101120000||ORU^R01|MSG-1|P|2.5.1');
    const issue: Issue = { code: 'bad-encoding-characters', location: { segment: 'MSH', sequence: 1, field: 2 }, message: 'MSH-2 (encoding characters) has fewer than 4 characters' };
    expect(ack({ header: partial, code: 'AR', issues: [issue] })).toBe(
      'MSH|^~\\&|RCV|RFAC|LAB|HOSP|20260102030405+0000||ACK^R01^ACK|ACK-1|P|2.5.1||||||UNICODE UTF-8\r' +
        'MSA|AR|MSG-1|MSH-2 (encoding characters) has fewer than 4 characters\r' +
        'ERR||MSH^1^2|102^Data type error^HL70357|E||||MSH-2 (encoding characters) has fewer than 4 characters\r',
    );
  });

  it('sends no ERR with a positive commit ACK', () => {
    expect(ack({ header: header(v251), code: 'CA' })).toBe(
      'MSH|^~\\&|LISTENER-APP|LISTENER-FAC|LAB|HOSP|20260102030405+0000||ACK^A01^ACK|ACK-1|P|2.5.1||||||UNICODE UTF-8\rMSA|CA|MSG-1\r',
    );
  });
});

describe('buildAck: MSH-18', () => {
  const withMsh18 = `${v251}||||||UNICODE UTF-8`;
  const msh18Of = (text: string): string | undefined => text.split('\r')[0]?.split('|')[17];

  it.each([
    ['UTF-8', 'UNICODE UTF-8'],
    ['US-ASCII', 'ASCII'],
    ['ISO-8859-1', '8859/1'],
    ['ISO-8859-15', '8859/15'],
    ['GB18030', 'GB 18030-2000'],
    ['EUC-KR', 'KS X 1001'],
    ['Big5', 'BIG-5'],
    ['UTF-16LE', 'UNICODE UTF-16'],
    ['UTF-16BE', 'UNICODE UTF-16'],
    ['windows-1252', undefined],
    ['Shift_JIS', undefined],
    ['ISO-8859-13', undefined],
  ])('names the encoding %s as %j (table 0211), whatever the message said', (charset, label) => {
    expect(msh18Of(ack({ header: header(withMsh18), encoding: ackEncodingFor(charset) }))).toBe(label);
  });

  it('leaves MSH-18 out of an ACK in windows-1252 read from bytes mislabelled UNICODE UTF-8', () => {
    const bytes = Buffer.concat([Buffer.from(`${withMsh18}\rPID|1||1||M`), Buffer.from([0xfc]), Buffer.from('LLER\r')]);
    const result = parseMessage(bytes, { defaultCharset: 'UTF-8' });
    if (!result.ok) throw new Error(result.issue.message);
    expect(result.message.charset).toBe('windows-1252');
    expect(ack({ header: result.message.header, encoding: ackEncodingFor(result.message.charset) }).split('\r')[0]).toBe(
      'MSH|^~\\&|LISTENER-APP|LISTENER-FAC|LAB|HOSP|20260102030405+0000||ACK^A01^ACK|ACK-1|P|2.5.1',
    );
  });

  it('names the HTTP Content-Type charset the message was decoded with, not its MSH-18', () => {
    const result = parseMessage(Buffer.from(`${withMsh18}\rPID|1||1\r`), { defaultCharset: 'UTF-8', charset: 'ISO-8859-1' });
    if (!result.ok) throw new Error(result.issue.message);
    expect(msh18Of(ack({ header: result.message.header, encoding: ackEncodingFor(result.message.charset) }))).toBe('8859/1');
  });

  it('escapes a label holding one of the delimiters', () => {
    const msh = 'MSH|/~\\&|LAB|HOSP|RCV|RFAC|20260101120000||ADT/A01|MSG-1|P|2.5.1';
    expect(msh18Of(ack({ header: header(msh), encoding: ackEncodingFor('ISO-8859-1') }))).toBe('8859\\S\\1');
  });
});

describe('resultOf', () => {
  it.each([
    [[], 'accept'],
    [[msh7Missing, eventRefused], 'error'],
    [[eventRefused, msh7Missing], 'reject'],
  ] as [Issue[], AckResult][])('decides by the first issue (%#)', (issues, expected) => {
    expect(resultOf(issues)).toBe(expected);
  });
});

describe('ackCodeFor', () => {
  const modes = (msh15: string, msh16: string): Partial<MessageHeader> => ({ acceptAckType: msh15, applicationAckType: msh16 });

  it.each([
    // MSH-15, MSH-16, result, hl7 mode, always mode
    ['', '', 'accept', 'AA', 'AA'],
    ['', '', 'error', 'AE', 'AE'],
    ['', '', 'reject', 'AR', 'AR'],
    ['AL', 'NE', 'accept', 'CA', 'CA'],
    ['AL', 'NE', 'error', 'CE', 'CE'],
    ['AL', 'AL', 'reject', 'CR', 'CR'],
    ['', 'NE', 'accept', 'CA', 'CA'],
    ['', 'AL', 'error', 'CE', 'CE'],
    ['NE', 'NE', 'accept', null, 'CA'],
    ['NE', 'NE', 'reject', null, 'CR'],
    ['NE', '', 'error', null, 'CE'],
    ['NE', 'AL', 'accept', 'AA', 'AA'],
    ['NE', 'AL', 'error', 'AE', 'AE'],
    ['NE', 'ER', 'accept', null, 'CA'],
    ['NE', 'ER', 'error', 'AE', 'AE'],
    ['NE', 'ER', 'reject', 'AR', 'AR'],
    ['NE', 'SU', 'accept', 'AA', 'AA'],
    ['NE', 'SU', 'error', null, 'CE'],
    ['ER', 'NE', 'accept', null, 'CA'],
    ['ER', 'NE', 'error', 'CE', 'CE'],
    ['ER', 'NE', 'reject', 'CR', 'CR'],
    ['ER', 'AL', 'accept', 'AA', 'AA'],
    ['SU', 'NE', 'accept', 'CA', 'CA'],
    ['SU', 'NE', 'reject', null, 'CR'],
    ['SU', 'ER', 'reject', 'AR', 'AR'],
    ['al', 'ne', 'accept', 'CA', 'CA'],
    ['XX', 'NE', 'error', 'CE', 'CE'],
  ] as const)('MSH-15 %j, MSH-16 %j, %s → %s (always: %s)', (msh15, msh16, result, hl7, always) => {
    expect(ackCodeFor(modes(msh15, msh16), result, 'hl7')).toBe(hl7);
    expect(ackCodeFor(modes(msh15, msh16), result, 'always')).toBe(always);
  });

  it('uses original mode without a header', () => {
    expect(ackCodeFor(null, 'reject', 'hl7')).toBe('AR');
    expect(ackCodeFor({}, 'accept', 'hl7')).toBe('AA');
  });
});
