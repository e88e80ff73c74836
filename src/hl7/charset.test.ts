import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeText, readCharsetField } from './charset.ts';

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
    ['US-ASCII with non-ASCII text uses UTF-8', '\u00e9', 'US-ASCII', Buffer.from('\u00e9', 'utf8')],
    ['unknown charset uses UTF-8', '\u00e9', 'nonsense', Buffer.from('\u00e9', 'utf8')],
    ['UTF-16LE', 'ACK', 'UTF-16LE', Buffer.from('ACK', 'utf16le')],
    ['UTF-16BE', 'ACK', 'UTF-16BE', iconv.encode('ACK', 'utf-16be')],
  ])('%s', (_name, text, charset, bytes) => {
    expect(encodeText(text, charset)).toEqual(bytes);
  });
});
