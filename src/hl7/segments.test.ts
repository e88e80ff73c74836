import { describe, expect, it } from 'vitest';
import { splitSegments } from './segments.ts';

// The one segment-splitting rule (decisions.md): decided by how the first segment ends.

const MSH = 'MSH|^~\\&|A|B|C|D|20260102030405||ORU^R01|1|P|2.5.1';
const OBX = (text: string) => `OBX|1|TX|||${text}||||||F`;

describe('splitSegments', () => {
  it.each([
    ['CR', `${MSH}\rPID|1\rOBR|1\r`, [MSH, 'PID|1', 'OBR|1']],
    ['CRLF', `${MSH}\r\nPID|1\r\nOBR|1\r\n`, [MSH, 'PID|1', 'OBR|1']],
    ['LF', `${MSH}\nPID|1\nOBR|1\n`, [MSH, 'PID|1', 'OBR|1']],
    ['CR, then CRLF lines', `${MSH}\rPID|1\r\nOBR|1\r`, [MSH, 'PID|1', 'OBR|1']],
    ['no trailing separator', `${MSH}\rPID|1`, [MSH, 'PID|1']],
    ['no separator at all', MSH, [MSH]],
    ['empty', '', []],
  ])('splits %s', (_name, text, expected) => {
    expect(splitSegments(text)).toEqual(expected);
  });

  it.each([
    ['a CR message', `${MSH}\r${OBX('line one\nline two')}\rNTE|1\r`, [MSH, OBX('line one\nline two'), 'NTE|1']],
    ['a CRLF message', `${MSH}\r\n${OBX('line one\nline two')}\r\nNTE|1\r\n`, [MSH, OBX('line one\nline two'), 'NTE|1']],
    ['a CR message, LF before a segment-like text', `${MSH}\r${OBX('see\nMSH|^~\\&|X')}\r`, [MSH, OBX('see\nMSH|^~\\&|X')]],
    ['a CR message, LF at the end of a field', `${MSH}\r${OBX('last line\n')}\r`, [MSH, OBX('last line\n')]],
  ])('keeps a bare LF inside a field of %s', (_name, text, expected) => {
    expect(splitSegments(text)).toEqual(expected);
  });

  it('keeps a CR inside a field of an LF message (the separator is LF only)', () => {
    expect(splitSegments(`${MSH}\n${OBX('a\rb')}\nNTE|1\n`)).toEqual([MSH, OBX('a\rb'), 'NTE|1']);
  });

  it('reads LFs right after a CR as part of the separator', () => {
    expect(splitSegments(`${MSH}\r\n\nPID|1\r\n\r\nOBR|1`)).toEqual([MSH, 'PID|1', 'OBR|1']);
  });

  it.each([
    ['CR', `\r\n${MSH}\r\r\nPID|1\r \t\rOBR|1\r\n\r\n`],
    ['LF', `\n${MSH}\n\nPID|1\n \t\nOBR|1\n\n`],
  ])('skips blank lines (%s)', (_name, text) => {
    expect(splitSegments(text)).toEqual([MSH, 'PID|1', 'OBR|1']);
  });

  it('keeps a line of other control characters as a segment (an MLLP end block is not padding)', () => {
    expect(splitSegments(`${MSH}\rPID|1\r\x1c\r`)).toEqual([MSH, 'PID|1', '\x1c']);
    expect(splitSegments(`${MSH}\r\0\rPID|1\r`)).toEqual([MSH, '\0', 'PID|1']);
  });

  it.each([
    ['NULs after the last CR', `${MSH}\rPID|1\r\0\0\0`],
    ['a SUB after the last CR', `${MSH}\rPID|1\r\x1a`],
    ['a SUB right after the last segment', `${MSH}\rPID|1\x1a`],
    ['NUL and SUB between line breaks', `${MSH}\rPID|1\r\0\r\n\x1a\r\n`],
    ['an LF message padded with NUL', `${MSH}\nPID|1\n\0\0`],
  ])('ignores trailing padding: %s', (_name, text) => {
    expect(splitSegments(text)).toEqual([MSH, 'PID|1']);
  });
});
