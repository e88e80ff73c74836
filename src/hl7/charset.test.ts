import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { ackEncodingFor, decodeMessage, encodeText, readCharsetField } from './charset.ts';

const msh = (msh18: string, separator = '\r'): string =>
  `MSH|^~\\&|APP|FAC|RCV|RFAC|20260102030405||ADT^A01|CTRL1|P|2.5|||AL|NE||${msh18}|EN${separator}PID|1||123`;

describe('readCharsetField', () => {
  it.each([
    ['8859/1', msh('8859/1'), 'latin1', '8859/1'],
    ['first repetition', msh('8859/1~ISO IR87'), 'latin1', '8859/1'],
    ['trimmed', msh(' UNICODE UTF-8 '), 'latin1', 'UNICODE UTF-8'],
    ['LF separator', msh('UNICODE UTF-8', '\n'), 'latin1', 'UNICODE UTF-8'],
    ['custom delimiters', 'MSH#!@%*#A#B#C#D#2026##ADT!A01#1#P#2.5######ASCII@X#EN\rPID#1', 'latin1', 'ASCII'],
    ['absent', 'MSH|^~\\&|APP|FAC|RCV|RFAC|20260102030405||ADT^A01|CTRL1|P|2.5\rPID|1', 'latin1', ''],
    ['MSH-17, not MSH-18', 'MSH|^~\\&|A|B|C|D|2026||ADT^A01|1|P|2.5|||||USA\r', 'latin1', ''],
    ['MSH-18 in a later segment', 'MSH|^~\\&|A\rPID|1|||||||||||||||||8859/1', 'latin1', ''],
    ['not an MSH', 'PID|1|||||||||||||||||8859/1', 'latin1', ''],
    ['empty', '', 'latin1', ''],
    ['UTF-16LE', msh('UNICODE UTF-16'), 'utf16le', 'UNICODE UTF-16'],
  ] as const)('%s', (_name, text, encoding, expected) => {
    expect(readCharsetField(Buffer.from(text, encoding))).toBe(expected);
  });

  it('reads UTF-16BE', () => {
    expect(readCharsetField(iconv.encode(msh('UNICODE UTF-16'), 'utf-16be'))).toBe('UNICODE UTF-16');
  });

  it('reads with the default repetition separator when MSH-2 is broken', () => {
    expect(readCharsetField(Buffer.from('MSH|^&&^|A|B|C|D|2026||ADT^A01|1|P|2.5||||||8859/1~X\r'))).toBe('8859/1');
  });
});

describe('decodeMessage', () => {
  const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
  it.each([
    ['ASCII, no MSH-18', latin1('MSH|A'), '', 'UTF-8', 'MSH|A', 'UTF-8'],
    ['ASCII label', latin1('MSH|A'), 'ASCII', 'UTF-8', 'MSH|A', 'US-ASCII'],
    ['8859/1', latin1('Lo\u00efs'), '8859/1', 'UTF-8', 'Lo\u00efs', 'ISO-8859-1'],
    ['ISO IR100', latin1('Lo\u00efs'), 'ISO IR100', 'UTF-8', 'Lo\u00efs', 'ISO-8859-1'],
    ['8859/15 euro', Buffer.from([0xa4]), '8859/15', 'UTF-8', '\u20ac', 'ISO-8859-15'],
    ['UTF-8 default', Buffer.from('M\u00fcller', 'utf8'), '', 'UTF-8', 'M\u00fcller', 'UTF-8'],
    ['UNICODE UTF-8', Buffer.from('M\u00fcller', 'utf8'), 'UNICODE UTF-8', 'UTF-8', 'M\u00fcller', 'UTF-8'],
    ['ISO IR192', Buffer.from('M\u00fcller', 'utf8'), 'ISO IR192', 'UTF-8', 'M\u00fcller', 'UTF-8'],
    ['UNICODE is read as UTF-8', Buffer.from('M\u00fcller', 'utf8'), 'UNICODE', 'UTF-8', 'M\u00fcller', 'UTF-8'],
    ['invalid UTF-8 falls back to windows-1252', Buffer.from([0x41, 0x96, 0x42]), '', 'UTF-8', 'A\u2013B', 'windows-1252'],
    ['invalid UTF-8 under a UTF-8 label', Buffer.from([0x41, 0x96]), 'UNICODE UTF-8', 'UTF-8', 'A\u2013', 'windows-1252'],
    ['unknown MSH-18 uses the default', Buffer.from([0x41, 0x96]), 'CNS 11643-1992', 'UTF-8', 'A\u2013', 'windows-1252'],
    ['unknown MSH-18, valid UTF-8', Buffer.from('\u00e9', 'utf8'), 'KLINGON', 'UTF-8', '\u00e9', 'UTF-8'],
    ['unknown MSH-18 uses hl7.defaultCharset', latin1('\u00e9'), 'KLINGON', 'ISO-8859-15', '\u00e9', 'ISO-8859-15'],
    ['unknown MSH-18 uses hl7.defaultCharset (ASCII bytes)', latin1('MSH|A'), 'KLINGON', 'ISO-8859-1', 'MSH|A', 'ISO-8859-1'],
    ['GB 18030-2000, the table 0211 label', Buffer.from('A'), 'GB 18030-2000', 'UTF-8', 'A', 'GB18030'],
    ['ASCII label on UTF-8 bytes', Buffer.from('\u00e9', 'utf8'), 'ASCII', 'UTF-8', '\u00e9', 'UTF-8'],
    ['default ISO-8859-1', latin1('\u00eb'), '', 'ISO-8859-1', '\u00eb', 'ISO-8859-1'],
    ['unknown default is UTF-8', Buffer.from('\u00e9', 'utf8'), '', 'nonsense', '\u00e9', 'UTF-8'],
    ['windows-1252', Buffer.from([0x80]), 'windows-1252', 'UTF-8', '\u20ac', 'windows-1252'],
    ['CP1252', Buffer.from([0x80]), 'CP1252', 'UTF-8', '\u20ac', 'windows-1252'],
    ['UTF-16LE', Buffer.from('MSH|\u00e9', 'utf16le'), 'UNICODE UTF-16', 'UTF-8', 'MSH|\u00e9', 'UTF-16LE'],
    ['UTF-16BE', iconv.encode('MSH|\u00e9', 'utf-16be'), 'UNICODE UTF-16', 'UTF-8', 'MSH|\u00e9', 'UTF-16BE'],
    ['a UTF-8 BOM is kept (the parser refuses it)', Buffer.from('\ufeffMSH', 'utf8'), '', 'UTF-8', '\ufeffMSH', 'UTF-8'],
  ])('%s', (_name, bytes, msh18, defaultCharset, text, charset) => {
    expect(decodeMessage(bytes, msh18, defaultCharset)).toEqual({ text, charset });
  });

  it.each([
    ['GB 18030', 'gb18030', '\u4e2d\u6587', 'GB18030'],
    ['KS X 1001', 'euc-kr', '\ud55c\uad6d\uc5b4', 'EUC-KR'],
    ['BIG-5', 'big5', '\u4e2d\u6587', 'Big5'],
    ['ISO IR87', 'shift_jis', '\u65e5\u672c\u8a9e', 'Shift_JIS'],
    ['JIS X 0208', 'shift_jis', '\u65e5\u672c\u8a9e', 'Shift_JIS'],
    ['8859/5', 'iso-8859-5', '\u0418\u0432\u0430\u043d', 'ISO-8859-5'],
    ['8859/7', 'iso-8859-7', '\u0391\u03b8\u03ae\u03bd\u03b1', 'ISO-8859-7'],
  ])('decodes %s', (msh18, codec, text, charset) => {
    const bytes = iconv.encode(`MSH|^~\\&|${text}`, codec);
    expect(decodeMessage(bytes, msh18, 'UTF-8')).toEqual({ text: `MSH|^~\\&|${text}`, charset });
    expect(encodeText(text, charset)).toEqual(iconv.encode(text, codec));
  });
});

describe('encodeText', () => {
  it.each([
    ['ASCII text in UTF-8', 'MSA|AA', 'UTF-8', Buffer.from('MSA|AA')],
    ['UTF-8', 'M\u00fcller', 'UTF-8', Buffer.from('M\u00fcller', 'utf8')],
    ['ISO-8859-1', 'M\u00fcller', 'ISO-8859-1', Buffer.from('M\u00fcller', 'latin1')],
    ['windows-1252', '\u20ac', 'windows-1252', Buffer.from([0x80])],
    ['US-ASCII writes ? for what ASCII cannot hold', 'a\u00e9b\u{1f600}c', 'US-ASCII', Buffer.from('a?b?c')],
    ['unknown charset uses UTF-8', '\u00e9', 'nonsense', Buffer.from('\u00e9', 'utf8')],
    ['UTF-16LE', 'ACK', 'UTF-16LE', Buffer.from('ACK', 'utf16le')],
    ['UTF-16BE', 'ACK', 'UTF-16BE', iconv.encode('ACK', 'utf-16be')],
  ])('%s', (_name, text, charset, bytes) => {
    expect(encodeText(text, charset)).toEqual(bytes);
  });
});

describe('ackEncodingFor', () => {
  it.each([
    ['UTF-8', 'UTF-8', 'UNICODE UTF-8'],
    ['US-ASCII', 'US-ASCII', 'ASCII'],
    ['ISO-8859-1', 'ISO-8859-1', '8859/1'],
    ['ISO-8859-9', 'ISO-8859-9', '8859/9'],
    ['ISO-8859-15', 'ISO-8859-15', '8859/15'],
    ['GB18030', 'GB18030', 'GB 18030-2000'],
    ['EUC-KR', 'EUC-KR', 'KS X 1001'],
    ['Big5', 'Big5', 'BIG-5'],
    ['UTF-16LE', 'UTF-16LE', 'UNICODE UTF-16'],
    ['UTF-16BE', 'UTF-16BE', 'UNICODE UTF-16'],
    ['UTF-32LE', 'UTF-32LE', 'UNICODE UTF-32'],
    // No table 0211 label: the ACK stays in the message's charset and MSH-18 stays empty.
    ['windows-1252', 'windows-1252', ''],
    ['Shift_JIS', 'Shift_JIS', ''],
    ['ISO-8859-13', 'ISO-8859-13', ''],
    ['an unknown name', 'UTF-8', 'UNICODE UTF-8'],
  ])('encodes an ACK to a message decoded as %s in %s, MSH-18 %j', (decoded, charset, label) => {
    expect(ackEncodingFor(decoded === 'an unknown name' ? 'x-klingon' : decoded)).toEqual({ charset, label });
  });

  const decodedNames = ['US-ASCII', 'UTF-8', 'windows-1252', 'GB18030', 'EUC-KR', 'Big5', 'Shift_JIS', 'UTF-16LE', 'UTF-16BE', 'UTF-32LE'];
  for (const part of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16]) decodedNames.push(`ISO-8859-${part}`);

  it.each(decodedNames)('labels %s so that a receiver decoding by MSH-18 uses the charset of the bytes', (decoded) => {
    const { charset, label } = ackEncodingFor(decoded);
    expect(charset).toBe(decoded);
    if (label === '') return;
    const bytes = encodeText('MSH|^~\\&|ACK', charset);
    expect(decodeMessage(bytes, label, 'x-none')).toEqual({ text: 'MSH|^~\\&|ACK', charset });
  });
});
