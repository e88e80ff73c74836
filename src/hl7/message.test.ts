import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hl7Schema } from '../config/schema.ts';
import { parseMessage, type ParsedMessage, type ParseResult } from './message.ts';
import { validateMessage } from './validate.ts';

const corpus = fileURLToPath(new URL('../../test/fixtures/corpus/', import.meta.url));
const options = { defaultCharset: 'UTF-8' };
const MSH = 'MSH|^~\\&|LAB^1.2.3^ISO|FAC|RCV|RFAC|20260102030405||ORU^R01^ORU_R01|CTRL-1|P|2.5.1|||AL|NE||UNICODE UTF-8';
const PID = 'PID|1||12345^^^MRN~67890^^^SSN||DOE^JOHN';

function parse(text: string | Buffer): ParseResult {
  return parseMessage(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, options);
}

function parsed(text: string | Buffer): ParsedMessage {
  const result = parse(text);
  if (!result.ok) throw new Error(`expected ok, got ${result.issue.code}: ${result.issue.message}`);
  return result.message;
}

describe('parseMessage: segments', () => {
  it.each([
    ['CR', `${MSH}\r${PID}\rOBR|1\r`],
    ['no trailing separator', `${MSH}\r${PID}\rOBR|1`],
    ['LF', `${MSH}\n${PID}\nOBR|1\n`],
    ['CRLF', `${MSH}\r\n${PID}\r\nOBR|1\r\n`],
    ['CR, then CRLF lines', `${MSH}\r${PID}\r\nOBR|1\r`],
    ['blank lines', `\r\n${MSH}\r\r\n${PID}\r \t\rOBR|1\r\n\r\n`],
    ['blank lines, LF', `\n${MSH}\n\n${PID}\n \t\nOBR|1\n\n`],
  ])('splits on %s', (_name, text) => {
    const message = parsed(text);
    expect(message.segments).toEqual([MSH, PID, 'OBR|1']);
    expect(message.segmentIds).toEqual(['MSH', 'PID', 'OBR']);
  });

  it.each([
    ['CR', '\r'],
    ['CRLF', '\r\n'],
  ])('keeps a bare LF inside a field of a %s message as data', (_name, separator) => {
    const obx = 'OBX|1|TX|||Report line one\nline two\nPID|1||999||||||F';
    const message = parsed([MSH, PID, 'OBR|1', obx, 'NTE|1'].join(separator) + separator);
    expect(message.segments).toEqual([MSH, PID, 'OBR|1', obx, 'NTE|1']);
    expect(message.segmentIds).toEqual(['MSH', 'PID', 'OBR', 'OBX', 'NTE']);
    expect(message.patientId).toBe('12345');
    expect(validateMessage(message, hl7Schema.parse({}))).toEqual([]);
  });

  it('splits on LF when MSH ends with LF, keeping a CR in a field as data', () => {
    const message = parsed(`${MSH}\n${PID}\nOBX|1|TX|||a\rb||||||F\n`);
    expect(message.segmentIds).toEqual(['MSH', 'PID', 'OBX']);
    expect(message.segments[2]).toBe('OBX|1|TX|||a\rb||||||F');
  });

  it.each([
    ['NULs', `${MSH}\r${PID}\rOBR|1\r\0\0\0\0`],
    ['SUB', `${MSH}\r${PID}\rOBR|1\r\x1a`],
    ['SUB without a last CR', `${MSH}\r${PID}\rOBR|1\x1a`],
    ['NUL and SUB between line breaks', `${MSH}\r${PID}\rOBR|1\r\0\r\n\x1a\r\n`],
  ])('ignores trailing padding (%s) after the last segment', (_name, text) => {
    const message = parsed(text);
    expect(message.segmentIds).toEqual(['MSH', 'PID', 'OBR']);
    expect(message.segments).toEqual([MSH, PID, 'OBR|1']);
    expect(validateMessage(message, hl7Schema.parse({}))).toEqual([]);
  });

  it('reads MSH-18 without the padding of an MSH-only message', () => {
    expect(parsed(`${MSH}\x1a\0`).header.charset).toBe('UNICODE UTF-8');
  });

  it('keeps malformed segment ids for the validator', () => {
    expect(parsed(`${MSH}\rPIDX|1\rPV|1\rNTE\rZPD|1\rEVENTUALLY A LONG LINE`).segmentIds).toEqual(['MSH', 'PIDX', 'PV', 'NTE', 'ZPD', 'EVEN']);
  });
});

describe('parseMessage: header', () => {
  it('reads the MSH fields', () => {
    const message = parsed(`MSH|^~\\&|LAB^1.2.3^ISO|FAC|RCV|RFAC|20260102030405||ORU^R01^ORU_R01|A\\F\\B|T^|2.5^FRA^2.5|||AL|NE||UNICODE UTF-8~8859/1\r${PID}`);
    expect(message.header).toEqual({
      delimiters: { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&', truncation: null },
      encodingCharacters: '^~\\&',
      sendingApplication: 'LAB^1.2.3^ISO',
      sendingFacility: 'FAC',
      receivingApplication: 'RCV',
      receivingFacility: 'RFAC',
      timestamp: '20260102030405',
      messageType: 'ORU',
      triggerEvent: 'R01',
      messageStructure: 'ORU_R01',
      controlId: 'A|B',
      controlIdRaw: 'A\\F\\B',
      processingId: 'T^',
      version: '2.5',
      versionField: '2.5^FRA^2.5',
      acceptAckType: 'AL',
      applicationAckType: 'NE',
      charset: 'UNICODE UTF-8',
    });
    expect(message.charset).toBe('UTF-8');
  });

  it.each([
    ['A\\T\\B', 'A&B'],
    ['X\\X41\\', 'XA'],
    ['A\\.br\\B', 'A\nB'],
    ['A\\H\\B\\N\\', 'AB'],
    ['A\\Zlocal\\B', 'A\\Zlocal\\B'],
    [' 12 ', ' 12 '],
  ])('keeps MSH-10 %j as written and unescaped (%j)', (msh10, controlId) => {
    const { header } = parsed(`${MSH.replace('CTRL-1', msh10)}\r${PID}`);
    expect(header.controlIdRaw).toBe(msh10);
    expect(header.controlId).toBe(controlId);
  });

  it('reads a truncated MSH as empty fields', () => {
    const { header } = parsed('MSH|^~\\&|GHH LAB|ELAB\r');
    expect(header).toMatchObject({ sendingApplication: 'GHH LAB', sendingFacility: 'ELAB', messageType: '', controlId: '', version: '', charset: '' });
  });

  it.each([
    ['#!@%*', 'MSH#!@%*#SENDER#FAC#RECV#FAC#20260301120000##ADT!A01#MSG%F%7#P#2.5\rPID#1##12345!!!MRN@999##DOE!JOHN', '#', 'MSG#7'],
    ['^~|\\&', 'MSH^~|\\&^SENDING^200M^RECEIVING^200^20120918173931-0500^^ADT~A24^MSG7^T^2.4\rPID^1^^12345~~~MRN|999', '^', 'MSG7'],
    ['$%~\\&', 'MSH$%~\\&$A$B$C$D$2026$$ADT%A01$MSG7$P$2.5\rPID$1$$12345%%%MRN', '$', 'MSG7'],
  ])('reads custom delimiters %s', (_name, text, field, controlId) => {
    const message = parsed(text);
    expect(message.header.delimiters.field).toBe(field);
    expect(message.header).toMatchObject({ messageType: 'ADT', controlId });
    expect(message.patientId).toBe('12345');
  });

  it('keeps the truncation character', () => {
    expect(parsed(`MSH|^~\\&#|A|B|C|D|2026||ADT^A01|1|P|2.5.1\r${PID}`).header.delimiters.truncation).toBe('#');
  });
});

describe('parseMessage: PID-3', () => {
  it.each([
    ['first repetition without MR types', 'PID|1||12345^^^MRN~67890^^^SSN', '12345', 'MRN'],
    ['single value', 'PID|1||12345', '12345', null],
    ['escaped', 'PID|1||A\\F\\1\\S\\2^^^MRN', 'A|1^2', 'MRN'],
    ['trimmed', 'PID|1|| 12345 ^^^ HOSP ', '12345', 'HOSP'],
    ['empty', 'PID|1||^^^MRN', null, null],
    ['absent field', 'PID|1', null, null],
    ['explicit null', 'PID|1||""', null, null],
    ['PID-2 is not PID-3', 'PID|1|OLD-ID|', null, null],
    ['the MR repetition, not the first', 'PID|1||111^^^SSA^SS~222^^^HOSP&1.2.3&ISO^MR~333^^^X^MR', '222', 'HOSP&1.2.3&ISO'],
    ['the first MR repetition', 'PID|1||111^^^A^MR~222^^^B^MR', '111', 'A'],
    ['the first with an id when none is MR', 'PID|1||^^^A^PI~""^^^B^PI~333^^^C^PI~444^^^D^PI', '333', 'C'],
    ['an MR repetition without an id is passed over', 'PID|1||^^^A^MR~444^^^B^PI', '444', 'B'],
    ['PID-3.4 unescaped, subcomponents kept', 'PID|1||555^^^A\\F\\B&1.2\\T\\3&ISO^MR', '555', 'A|B&1.2&3&ISO'],
    ['PID-3.4 explicit null', 'PID|1||666^^^""^MR', '666', null],
  ])('%s', (_name, pid, id, authority) => {
    const message = parsed(`${MSH}\r${pid}\r`);
    expect(message.patientId).toBe(id);
    expect(message.patientAuthority).toBe(authority);
  });

  it('reads PID-3.4 with the message\'s own subcomponent separator', () => {
    const message = parsed('MSH#!@%*#A#B#C#D#2026##ADT!A01#1#P#2.5\rPID#1##9@77!!!HOSP*1.2*ISO!MR');
    expect(message.patientId).toBe('77');
    expect(message.patientAuthority).toBe('HOSP*1.2*ISO');
  });

  it('is null without PID and reads the first PID only', () => {
    expect(parsed(`${MSH}\rOBR|1\r`).patientId).toBeNull();
    expect(parsed(`${MSH}\rOBR|1\r`).patientAuthority).toBeNull();
    expect(parsed(`${MSH}\rPID|1||111\rMRG|1\rPID|2||222\r`).patientId).toBe('111');
    expect(parsed(`${MSH}\rPIDX|1||111\r`).patientId).toBeNull();
  });
});

describe('parseMessage: charsets', () => {
  it('decodes MSH-18 8859/1', () => {
    const bytes = Buffer.from(`MSH|^~\\&|A|B|C|D|2026||ADT^A08|1|P|2.4||||||8859/1\rPID|1||1||Lo\u00efs^Ren\u00e9e\r`, 'latin1');
    const message = parsed(bytes);
    expect(message.charset).toBe('ISO-8859-1');
    expect(message.header.charset).toBe('8859/1');
    expect(message.segments[1]).toContain('Lo\u00efs^Ren\u00e9e');
  });

  it('falls back to windows-1252 for bytes that are not UTF-8', () => {
    const result = parse(Buffer.from([...Buffer.from(`${MSH.replace('UNICODE UTF-8', '')}\rNTE|1||a`), 0x96, 0x0d]));
    expect(result.ok && result.message.charset).toBe('windows-1252');
    expect(result.ok && result.message.segments[1]).toBe('NTE|1||a\u2013');
  });
});

describe('parseMessage: refusals', () => {
  it.each([
    ['empty', '', 'empty'],
    ['whitespace only', ' \r\n\t\r\n', 'empty'],
    ['PID first', `${PID}\r${MSH}\r`, 'does not begin with an MSH'],
    ['junk before MSH', `junk\rjunk\r${MSH}\r`, 'does not begin with an MSH'],
    ['UTF-8 BOM', `\ufeff${MSH}\r`, 'does not begin with an MSH'],
    ['leading space', ` ${MSH}\r`, 'does not begin with an MSH'],
    ['FHS batch', `FHS|^~\\&\rBHS|^~\\&\r${MSH}\rBTS|1\rFTS|1\r`, 'batches'],
    ['BHS batch', `BHS|^~\\&\r${MSH}\rBTS|1\r`, 'batches'],
  ])('refuses %s with no-msh', (_name, text, reason) => {
    const result = parse(text);
    expect(result).toMatchObject({ ok: false, issue: { code: 'no-msh', location: { segment: 'MSH' } }, header: null });
    expect(!result.ok && result.issue.message).toContain(reason);
  });

  it('refuses bad MSH-2 and still reads MSH-10 with the default encoding characters', () => {
    const result = parse('MSH|^~&|A|B|C|D|20260102||ORU^R01|CTRL-9|P|2.5.1\rPID|1\r');
    expect(result).toMatchObject({
      ok: false,
      issue: { code: 'bad-encoding-characters', location: { segment: 'MSH', field: 2 } },
      header: { controlId: 'CTRL-9', triggerEvent: 'R01', version: '2.5.1', encodingCharacters: '^~&' },
      charset: 'UTF-8',
    });
  });

  it.each([
    ['no field separator', 'MSHH0\r', 1],
    ['MSH alone', 'MSH', 1],
    ['field separator clashes with the defaults', 'MSH^&&&&^A^B^C^D^2026^^ORU^1^P^2.5\r', 2],
  ])('refuses %s without a header', (_name, text, field) => {
    expect(parse(text)).toMatchObject({ ok: false, issue: { code: 'bad-encoding-characters', location: { field } }, header: null });
  });
});

describe('parseMessage: corpus samples', () => {
  const read = (file: string): Buffer => readFileSync(corpus + file);

  it.each([
    ['valid/msfhir__ADT-A01-01.hl7', 'ADT', 'A01', '2.8', 'UTF-8'],
    ['valid/rethink__edge-custom-delimiters.hl7', 'ADT', 'A01', '2.5', 'UTF-8'],
    ['valid/hapi__segmentfinder_a24_field_sep_caret.hl7', 'ADT', 'A24', '2.4', 'UTF-8'],
    ['valid/nodehl7__ADT_A08_v24_Dutch_8859-1.hl7', 'ADT', 'A08', '2.4', 'ISO-8859-1'],
    ['valid/cdcdex__CELR_v251_mixed_CR_CRLF_original-bytes.hl7', 'ORU', 'R01', '2.5.1', 'UTF-8'],
    ['valid/rethink__edge-crlf-line-endings__original-bytes.hl7', 'ADT', 'A01', '2.5', 'UTF-8'],
    ['valid/lfh__ORU-multiline-short__LF-original-bytes.hl7', 'ORU', 'R01', '2.6', 'UTF-8'],
    ['valid/cdcdex__RawHL7DataCELR_nonascii_mojibake.hl7', 'ORU', 'R01', '2.5.1', 'UTF-8'],
    ['valid/gcpmllp__integration_ADT_A01_v23.hl7', 'ADT', 'A01', '2.3', 'US-ASCII'],
  ])('parses %s', (file, messageType, triggerEvent, version, charset) => {
    const message = parsed(read(file));
    expect(message.header).toMatchObject({ messageType, triggerEvent, version });
    expect(message.charset).toBe(charset);
    expect(message.segments.every((segment) => !segment.includes('\r') && !segment.includes('\n'))).toBe(true);
  });

  it('decodes the Dutch ISO-8859-1 names', () => {
    expect(parsed(read('valid/nodehl7__ADT_A08_v24_Dutch_8859-1.hl7')).segments.join('\r')).toMatch(/\u00eb/);
  });

  it.each([
    ['invalid/msfhir__ADT04-251__utf8-BOM-original-bytes.hl7', 'no-msh'],
    ['invalid/cdcdex__Genv1_junk_before_MSH.hl7', 'no-msh'],
    ['invalid/rethink__invalid-missing-msh.hl7', 'no-msh'],
    ['invalid/rubyhl7__empty.hl7', 'no-msh'],
    ['invalid/derived__whitespace_only.hl7', 'no-msh'],
    ['invalid/cdcdex__Lyme_WithBadDelimiters.hl7', 'bad-encoding-characters'],
    ['invalid/rubyhl7__realm-minimal-message.hl7', 'bad-encoding-characters'],
    ['invalid/hl7apy__MSH_too_many_encoding_chars.hl7', 'bad-encoding-characters'],
    ['invalid/nhapi__fuzz_nullref1.bin', 'bad-encoding-characters'],
  ])('refuses %s', (file, code) => {
    const result = parse(read(file));
    expect(!result.ok && result.issue.code).toBe(code);
  });

  const manifest = readFileSync(corpus + 'MANIFEST.tsv', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    .filter(([file, , , , type]) => file?.startsWith('valid/') && file.endsWith('.hl7') && /^(ADT|ORU|SIU)\b/.test(type ?? ''));

  it('finds the valid ADT/ORU/SIU corpus files', () => {
    expect(manifest.length).toBeGreaterThan(60);
    expect(manifest.length).toBeLessThan(readdirSync(corpus + 'valid').length);
  });

  it.each(manifest.map(([file]) => file ?? ''))('parses %s', (file) => {
    const result = parse(read(file));
    expect(result.ok ? 'ok' : `${result.issue.code}: ${result.issue.message}`).toBe('ok');
  });
});

describe('parseMessage: speed', () => {
  it('parses a 20 KB ORU in well under a millisecond', () => {
    const obx = Array.from({ length: 300 }, (_, i) => `OBX|${i + 1}|NM|718-7^Hemoglobin^LN||13.${i % 10}|g/dL|12-16|N|||F|||20260102030405`);
    const bytes = Buffer.from([MSH, PID, 'OBR|1', ...obx].join('\r') + '\r');
    expect(bytes.length).toBeGreaterThan(15_000);
    for (let i = 0; i < 200; i++) parseMessage(bytes, options);
    const runs = 1000;
    const start = performance.now();
    for (let i = 0; i < runs; i++) parseMessage(bytes, options);
    // The target is ~0.02 ms; the bound is loose so a slow CI machine does not fail it.
    expect((performance.now() - start) / runs).toBeLessThan(0.5);
  });
});
