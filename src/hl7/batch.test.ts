import { describe, expect, it } from 'vitest';
import { buildAck } from './ack.ts';
import { buildBatchAnswer } from './batch-ack.ts';
import { ackEncodingFor } from './charset.ts';
import { isBatch, readBatch } from './batch.ts';

const msh = (id: string) => `MSH|^~\\&|APP|FAC|RCV|RFAC|20260115103000||ADT^A01^ADT_A01|${id}|P|2.5.1\rPID|1||P1\r`;
const FHS = 'FHS|^~\\&|FAPP|FFAC|FRCV|FRFAC|20260115103000||||FILE-1\r';
const BHS = (id = 'BATCH-1') => `BHS|^~\\&|BAPP|BFAC|BRCV|BRFAC|20260115103000||||${id}\r`;

const read = (text: string) => readBatch(Buffer.from(text, 'latin1'));
const texts = (text: string) => {
  const result = read(text);
  if (!result.ok) throw new Error(`refused: ${result.issue.message}`);
  return result.envelope.batches.map((b) => b.messages.map((m) => m.toString('latin1')));
};

describe('isBatch', () => {
  it.each([
    ['FHS first', `${FHS}${BHS()}BTS|0\rFTS|1\r`, true],
    ['BHS first', `${BHS()}BTS|0\r`, true],
    ['blank lines before BHS', `\r\n\r${BHS()}BTS|0\r`, true],
    ['MSH first', msh('C1'), false],
    ['empty', '', false],
    ['BH only', 'BH', false],
  ])('%s', (_name, text, expected) => {
    expect(isBatch(Buffer.from(text, 'latin1'))).toBe(expected);
  });
});

describe('readBatch: envelopes read', () => {
  it.each([
    ['one batch', `${BHS()}${msh('C1')}${msh('C2')}BTS|2\r`, [[msh('C1'), msh('C2')]]],
    ['a file with two batches', `${FHS}${BHS('B1')}${msh('C1')}BTS|1\r${BHS('B2')}${msh('C2')}BTS|1\rFTS|2\r`, [[msh('C1')], [msh('C2')]]],
    ['an empty batch', `${BHS()}BTS|0\r`, [[]]],
    ['an empty file', `${FHS}FTS|0\r`, []],
    ['trailers without counts', `${FHS}${BHS()}${msh('C1')}BTS\rFTS|\r`, [[msh('C1')]]],
    ['LF separators', `${BHS()}${msh('C1')}BTS|1\r`.replaceAll('\r', '\n'), [[msh('C1').replaceAll('\r', '\n')]]],
    ['blank lines kept inside the message bytes', `${BHS()}${msh('C1')}\r\rBTS|1\r`, [[`${msh('C1')}\r\r`]]],
  ])('%s', (_name, text, expected) => {
    expect(texts(text)).toEqual(expected);
  });

  it.each([
    ['a segment-like text', 'see above\nMSH|^~\\&|X|Y'],
    ['a batch trailer-like text', 'end of report\nBTS|1'],
    ['a batch header-like text', 'next\nBHS|^~\\&|X'],
  ])('keeps a bare LF before %s inside a message of a CR batch', (_name, report) => {
    const message = `${msh('C1')}OBX|1|TX|||${report}||||||F\r`;
    expect(texts(`${BHS()}${message}${msh('C2')}BTS|2\r`)).toEqual([[message, msh('C2')]]);
  });

  it('ignores NUL and SUB padding after the BTS', () => {
    expect(texts(`${BHS()}${msh('C1')}BTS|1\r\0\0\x1a`)).toEqual([[msh('C1')]]);
  });

  it('cuts each message at its exact bytes (non-ASCII included)', () => {
    const message = Buffer.concat([Buffer.from(msh('C1')), Buffer.from('NTE|1||Zoë\r', 'utf8')]);
    const bytes = Buffer.concat([Buffer.from(BHS()), message, Buffer.from('BTS|1\r')]);
    const result = readBatch(bytes);
    expect(result.ok && result.envelope.batches[0]?.messages[0]?.equals(message)).toBe(true);
  });

  it('reads the batch header to address the answer', () => {
    const result = read(`${FHS}${BHS()}BTS|0\rFTS|1\r`);
    expect(result).toMatchObject({ ok: true, header: { controlId: 'BATCH-1', sendingApplication: 'BAPP', receivingApplication: 'BRCV' } });
  });
});

describe('readBatch: broken envelopes', () => {
  it.each([
    ['a BHS without BTS', `${BHS()}${msh('C1')}`, 'no-msh', 'BTS', 'has no BTS'],
    ['an FHS without FTS', `${FHS}${BHS()}${msh('C1')}BTS|1\r`, 'no-msh', 'FTS', 'has no FTS'],
    ['an FHS without BHS', `${FHS}${msh('C1')}FTS|1\r`, 'no-msh', 'MSH', 'where a BHS is expected'],
    ['a segment before the first MSH', `${BHS()}EVN|A01\r${msh('C1')}BTS|1\r`, 'no-msh', 'EVN', 'other than MSH'],
    ['a BHS nested in a batch', `${BHS()}${msh('C1')}${BHS('B2')}BTS|1\r`, 'no-msh', 'BHS', 'inside a batch'],
    ['two batches without a file', `${BHS('B1')}BTS|0\r${BHS('B2')}BTS|0\r`, 'no-msh', 'BHS', 'several batches need an FHS'],
    ['a segment after FTS', `${FHS}FTS|0\r${msh('C1')}`, 'no-msh', 'MSH', 'follows the FTS'],
    ['BTS-1 not matching', `${BHS()}${msh('C1')}BTS|2\r`, 'no-msh', 'BTS', 'says 2 but the envelope holds 1'],
    ['BTS-1 not a number', `${BHS()}BTS|two\r`, 'no-msh', 'BTS', 'not a number'],
    ['FTS-1 not matching', `${FHS}${BHS()}BTS|0\rFTS|3\r`, 'no-msh', 'FTS', 'says 3 but the envelope holds 1'],
    ['BTS with another field separator', `${BHS()}${msh('C1')}BTS:1\r`, 'no-msh', 'BTS', 'field separator'],
    ['BHS-2 with three characters', `BHS|^~&|A||||||||B-9\rBTS|0\r`, 'bad-encoding-characters', 'BHS', 'BHS-2'],
    ['BHS-1 a letter', 'BHSX^~\\&\rBTS|0\r', 'bad-encoding-characters', 'BHS', 'BHS-1'],
  ])('refuses %s', (_name, text, code, segment, reason) => {
    const result = read(text);
    expect(result).toMatchObject({ ok: false, issue: { code, location: { segment } } });
    expect(!result.ok && result.issue.message).toContain(reason);
  });

  it.each([
    ['BHS-11 of the batch', `${FHS}${BHS('B-7')}${msh('C1')}`, 'B-7'],
    ['FHS-11 when BHS-11 is empty', `${FHS}${BHS('')}${msh('C1')}`, 'FILE-1'],
    ['BHS-11 even when BHS-2 is broken', 'BHS|^~&|A||||||||B-9\rBTS|0\r', 'B-9'],
    ['BHS-11 unescaped', `${BHS('B\\T\\1')}${msh('C1')}`, 'B&1'],
  ])('addresses the NAK with %s', (_name, text, controlId) => {
    const result = read(text);
    expect(result.ok).toBe(false);
    expect(result.header?.controlId).toBe(controlId);
  });

  it.each([
    ['BHS-11', `${BHS('B\\X41\\')}${msh('C1')}`, 'B\\X41\\'],
    ['FHS-11 when BHS-11 is empty', `FHS|^~\\&|||||||||F\\.br\\1\r${BHS('')}${msh('C1')}`, 'F\\.br\\1'],
  ])('echoes %s in the NAK\'s MSA-2 exactly as written', (_name, text, raw) => {
    const header = read(text).header;
    expect(header?.controlIdRaw).toBe(raw);
    const nak = buildAck({
      header,
      code: 'AR',
      issues: [],
      controlId: 'ACK-1',
      now: new Date(0),
      sendingApplication: 'L',
      sendingFacility: '',
      encoding: ackEncodingFor('ISO-8859-1'),
    });
    expect(nak).toContain(`\rMSA|AR|${raw}\r`);
  });

  it('has no header to address when BHS-1 is not a delimiter', () => {
    expect(read('BHSX^~\\&\rBTS|0\r').header).toBeNull();
  });
});

describe('buildBatchAnswer', () => {
  const now = new Date('2026-01-15T10:30:00.000Z');
  let n = 0;
  const answer = (text: string, acks: string[][]) => {
    const result = read(text);
    if (!result.ok) throw new Error(result.issue.message);
    n = 0;
    return buildBatchAnswer({
      envelope: result.envelope,
      acks: acks.map((list) => list.map((a) => Buffer.from(a, 'latin1'))),
      now,
      newControlId: () => `ACK-${++n}`,
      sendingApplication: 'LISTENER',
      sendingFacility: '',
    }).toString('latin1');
  };

  it('mirrors a file: swapped parties, fresh ids, references, counts', () => {
    const text = `${FHS}${BHS('B1')}${msh('C1')}${msh('C2')}BTS|2\r${BHS('B2')}BTS|0\rFTS|2\r`;
    expect(answer(text, [['MSH|ack1\r', 'MSH|ack2\r'], []]).split('\r')).toEqual([
      'FHS|^~\\&|FRCV|FRFAC|FAPP|FFAC|20260115103000+0000||||ACK-1|FILE-1',
      'BHS|^~\\&|BRCV|BRFAC|BAPP|BFAC|20260115103000+0000||||ACK-2|B1',
      'MSH|ack1',
      'MSH|ack2',
      'BTS|2',
      'BHS|^~\\&|BRCV|BRFAC|BAPP|BFAC|20260115103000+0000||||ACK-3|B2',
      'BTS|0',
      'FTS|2',
      '',
    ]);
  });

  it('answers a lone batch without a file envelope, with our names when BHS-5/BHS-6 are empty', () => {
    expect(answer('BHS|^~\\&|APP|FAC|||||||X\rBTS|0\r', [[]]).split('\r')).toEqual([
      'BHS|^~\\&|LISTENER||APP|FAC|20260115103000+0000||||ACK-1|X',
      'BTS|0',
      '',
    ]);
  });

  it('uses the envelope delimiters', () => {
    expect(answer('BHS#^~\\&#A#F####\rBTS#0\r', [[]])).toBe('BHS#^~\\&#LISTENER##A#F#20260115103000+0000####ACK-1#\rBTS#0\r');
  });
});
