import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { readDelimiters } from './delimiters.ts';

// MSH-18 (HL7 table 0211, plus the DICOM-style "ISO IRnnn" names some senders use) → decoder.
// The charset is read from the raw bytes first, because decoding needs it.

/**
 * `name` is the canonical (IANA) name reported to callers and accepted back by `encodeText`.
 * `label` is its HL7 table 0211 value (what an ACK's MSH-18 says), '' when the table has none.
 */
type Charset = { name: string; codec: string; label: string; asciiCompatible: boolean };

const UTF8 = 'UTF-8';
const WINDOWS_1252 = 'windows-1252';

const charsets = new Map<string, Charset>();

function define(name: string, codec: string, label: string, aliases: string[], asciiCompatible = true): Charset {
  const charset = { name, codec, label, asciiCompatible };
  for (const alias of [name, label, ...aliases]) if (alias !== '') charsets.set(normalize(alias), charset);
  charsets.set(name, charset);
  return charset;
}

function normalize(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toUpperCase();
}

define('US-ASCII', 'ascii', 'ASCII', ['ISO IR6']);
const utf8 = define(UTF8, 'utf8', 'UNICODE UTF-8', ['UNICODE', 'UTF8', 'ISO IR192']);
// Not in table 0211: an ACK in windows-1252 leaves MSH-18 empty (see ackEncodingFor).
define(WINDOWS_1252, 'windows-1252', '', ['CP1252', 'WINDOWS1252']);
// ISO 8859 parts and their DICOM "ISO IRnnn" registration numbers. Table 0211 names parts 1-9 and 15.
const isoIr: Record<number, string> = { 1: '100', 2: '101', 3: '109', 4: '110', 5: '144', 6: '127', 7: '126', 8: '138', 9: '148', 15: '203' };
for (const part of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16]) {
  const ir = isoIr[part];
  const aliases = [`8859/${part}`, `ISO8859-${part}`, `ISO 8859-${part}`, `ISO-8859/${part}`];
  const label = part <= 9 || part === 15 ? `8859/${part}` : '';
  define(`ISO-8859-${part}`, `iso-8859-${part}`, label, ir === undefined ? aliases : [...aliases, `ISO IR${ir}`]);
}
define('GB18030', 'gb18030', 'GB 18030-2000', ['GB 18030', 'ISO IR58', 'GB2312']);
define('EUC-KR', 'euc-kr', 'KS X 1001', ['ISO IR149']);
define('Big5', 'big5', 'BIG-5', []);
// HL7 means ISO 2022 code extension here (ISO-2022-JP), which iconv-lite cannot decode. Shift_JIS
// leaves 7-bit bytes (escape sequences included) unchanged and decodes the Shift_JIS text that
// Japanese senders commonly send under these labels. No 0211 label names Shift_JIS itself.
define('Shift_JIS', 'shift_jis', '', ['ISO IR87', 'JIS X 0208', 'ISO IR13', 'ISO IR14', 'JIS X 0201', 'ISO IR159', 'JIS X 0212', 'SJIS']);
// Table 0211 names UTF-16 without a byte order; the ACK keeps the order the message came in.
define('UTF-16LE', 'utf-16le', 'UNICODE UTF-16', [], false);
define('UTF-16BE', 'utf-16be', 'UNICODE UTF-16', [], false);
// Endianness is sniffed from the bytes (see decodeMessage). Defined after UTF-16LE/BE so that the
// label UNICODE UTF-16 looks this one up.
define('UTF-16', 'utf-16le', 'UNICODE UTF-16', [], false);
define('UTF-32LE', 'utf-32le', 'UNICODE UTF-32', ['UTF-32'], false);

function lookUp(value: string): Charset | undefined {
  return charsets.get(value) ?? charsets.get(normalize(value));
}

/** The canonical name for a label (MSH-18 or IANA, e.g. an HTTP charset), or null when unsupported. */
export function canonicalCharset(label: string): string | null {
  return lookUp(label)?.name ?? null;
}

/**
 * MSH-18, first repetition, trimmed; '' when absent. MSH is ASCII in practice, so the bytes up to
 * the first CR or LF are read as latin1 (UTF-16 is recognised by the zero bytes around `MSH`).
 */
export function readCharsetField(bytes: Buffer): string {
  const header = readHeaderLine(bytes);
  if (!header.startsWith('MSH')) return '';
  const result = readDelimiters(header);
  const field = result.ok ? result.delimiters.field : result.field;
  if (field === null) return '';
  const repetition = result.ok ? result.delimiters.repetition : '~';
  // MSH-18 follows the 17th field separator (MSH-1 is the first one).
  let start = 3;
  for (let n = 1; n < 17 && start !== -1; n++) start = header.indexOf(field, start + 1);
  if (start === -1) return '';
  const end = header.indexOf(field, start + 1);
  const msh18 = header.slice(start + 1, end === -1 ? header.length : end);
  const repeated = msh18.indexOf(repetition);
  return (repeated === -1 ? msh18 : msh18.slice(0, repeated)).trim();
}

function readHeaderLine(bytes: Buffer): string {
  const utf16 = sniffUtf16(bytes);
  const text = utf16 === null ? null : iconv.decode(bytes.subarray(0, 4096), utf16);
  if (text !== null) return text.split(/[\r\n]/, 1)[0] ?? '';
  const cr = bytes.indexOf(0x0d);
  const head = cr === -1 ? bytes : bytes.subarray(0, cr);
  const lf = head.indexOf(0x0a);
  return head.toString('latin1', 0, lf === -1 ? head.length : lf);
}

function sniffUtf16(bytes: Buffer): 'utf-16le' | 'utf-16be' | null {
  if (bytes.length < 4) return null;
  if (bytes[0] === 0x4d && bytes[1] === 0 && bytes[2] === 0x53 && bytes[3] === 0) return 'utf-16le';
  if (bytes[0] === 0 && bytes[1] === 0x4d && bytes[2] === 0 && bytes[3] === 0x53) return 'utf-16be';
  return null;
}

export type DecodedText = { text: string; charset: string };

/**
 * Decodes with MSH-18, else `defaultCharset`; an unknown MSH-18 value is not refused (the raw bytes
 * are kept anyway) and falls back to the default. Bytes that are not valid UTF-8 where UTF-8 (or
 * ASCII) was expected are decoded as windows-1252, the usual real encoding of such messages.
 */
export function decodeMessage(bytes: Buffer, msh18: string, defaultCharset: string): DecodedText {
  const charset = (msh18 === '' ? undefined : lookUp(msh18)) ?? lookUp(defaultCharset) ?? utf8;
  if (charset.asciiCompatible && isAscii(bytes)) return { text: bytes.toString('latin1'), charset: charset.name };
  if (charset.name === UTF8 || charset.name === 'US-ASCII') return decodeUtf8OrWindows1252(bytes);
  if (charset.name === 'UTF-16') {
    const codec = sniffUtf16(bytes) === 'utf-16be' ? 'utf-16be' : 'utf-16le';
    return { text: iconv.decode(bytes, codec, { stripBOM: false }), charset: codec.toUpperCase() };
  }
  // Node's latin1 is ISO-8859-1 byte for byte, and much faster than a codec call.
  if (charset.codec === 'iso-8859-1') return { text: bytes.toString('latin1'), charset: charset.name };
  return { text: iconv.decode(bytes, charset.codec, { stripBOM: false }), charset: charset.name };
}

function decodeUtf8OrWindows1252(bytes: Buffer): DecodedText {
  if (isUtf8(bytes)) return { text: bytes.toString('utf8'), charset: UTF8 };
  return { text: iconv.decode(bytes, WINDOWS_1252), charset: WINDOWS_1252 };
}

/** The charset an ACK is encoded in (a name `encodeText` accepts) and what its MSH-18 says. */
export type AckEncoding = { charset: string; label: string };

/**
 * The one decision on an ACK's charset, so that its bytes and its MSH-18 cannot disagree. The
 * caller builds the ACK with it (`buildAck({ encoding })`) and encodes with `encoding.charset`.
 *
 * The ACK is encoded in the charset the message was decoded with: the sender reads what it sends,
 * and the MSH-3..MSH-6 and MSA-2 it gets back are its own bytes. MSH-18 carries that charset's
 * table 0211 label, whatever the message's MSH-18 said (it may have been wrong: windows-1252 bytes
 * under UNICODE UTF-8, or overridden by an HTTP Content-Type charset). A charset that table 0211
 * has no label for (windows-1252, Shift_JIS, ISO-8859-10/11/13/14/16) is kept, with MSH-18
 * empty: HL7 reads an empty MSH-18 as the character set agreed between the parties, the only true
 * claim we can make; switching such an ACK to UTF-8 would hand the sender back bytes it never used.
 */
export function ackEncodingFor(decodedCharset: string): AckEncoding {
  const charset = lookUp(decodedCharset) ?? utf8;
  return { charset: charset.name, label: charset.label };
}

/**
 * Encodes an ACK in a charset named by `decodeMessage` or `ackEncodingFor` (UTF-8 when unknown).
 * Characters the charset cannot hold become `?` (US-ASCII included), so the bytes are always what
 * the name says.
 */
export function encodeText(text: string, charset: string): Buffer {
  const target = lookUp(charset) ?? utf8;
  if (target.name === UTF8) return Buffer.from(text, 'utf8');
  if (target.asciiCompatible && isAsciiText(text)) return Buffer.from(text, 'latin1');
  // Node's 'ascii' encoding keeps the low byte of each character: not ASCII.
  if (target.name === 'US-ASCII') return Buffer.from(text.replace(/[^\x00-\x7f]/gu, '?'), 'latin1');
  return iconv.encode(text, target.codec);
}

function isAsciiText(text: string): boolean {
  return !/[^\x00-\x7f]/.test(text);
}
