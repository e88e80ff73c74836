import { describe, expect, it } from 'vitest';
import { defaultDelimiters, type Delimiters } from './delimiters.ts';
import { escapeText, unescapeText } from './escape.ts';

const custom: Delimiters = { field: '#', component: '!', repetition: '@', escape: '%', subcomponent: '*', truncation: null };
const withTruncation: Delimiters = { ...defaultDelimiters, truncation: '#' };

describe('unescapeText', () => {
  it.each([
    ['no escape', 'plain text', 'plain text'],
    ['\\F\\', 'a\\F\\b', 'a|b'],
    ['\\S\\', 'a\\S\\b', 'a^b'],
    ['\\T\\', 'Smith \\T\\ Sons', 'Smith & Sons'],
    ['\\R\\', 'a\\R\\b', 'a~b'],
    ['\\E\\', 'C:\\E\\temp', 'C:\\temp'],
    ['several', '\\F\\\\S\\\\T\\\\R\\\\E\\', '|^&~\\'],
    ['\\X..\\ ASCII', '\\X4869\\', 'Hi'],
    ['\\X..\\ UTF-8', 'caf\\XC3A9\\', 'caf\u00e9'],
    ['\\X..\\ not UTF-8 is ISO-8859-1', 'caf\\XE9\\', 'caf\u00e9'],
    ['\\X..\\ CR LF', 'a\\X0D0A\\b', 'a\r\nb'],
    ['\\X..\\ lower case', '\\x41\\', '\\x41\\'],
    ['\\X..\\ odd digits kept', '\\X414\\', '\\X414\\'],
    ['\\.br\\', 'line 1\\.br\\line 2', 'line 1\nline 2'],
    ['\\.sp\\', 'a\\.sp\\b', 'a\nb'],
    ['\\.sp 2\\', 'a\\.sp 2\\b', 'a\nb'],
    ['formatting removed', '\\.fi\\a\\.nf\\\\.in+4\\\\.ti-2\\\\.sk 3\\\\.ce\\b', 'ab'],
    ['highlight removed', 'a \\H\\bold\\N\\ b', 'a bold b'],
    ['charset switches removed', '\\C2842\\x\\M244228\\y\\M2442\\', 'xy'],
    ['\\Z..\\ kept', 'a\\Zlocal\\b', 'a\\Zlocal\\b'],
    ['unknown kept', 'a\\Q\\b', 'a\\Q\\b'],
    ['unterminated kept', 'a\\Fb', 'a\\Fb'],
    ['\\P\\ without a truncation character kept', 'a\\P\\b', 'a\\P\\b'],
  ])('%s', (_name, value, expected) => {
    expect(unescapeText(value, defaultDelimiters)).toBe(expected);
  });

  it('uses the message delimiters', () => {
    expect(unescapeText('A%F%B%S%C%T%D%R%E%E%', custom)).toBe('A#B!C*D@E%');
  });

  it('reads \\P\\ as the truncation character', () => {
    expect(unescapeText('a\\P\\b', withTruncation)).toBe('a#b');
  });
});

describe('escapeText', () => {
  it.each([
    ['plain', 'MSH-10 (message control id) is empty', 'MSH-10 (message control id) is empty'],
    ['field', 'a|b', 'a\\F\\b'],
    ['component', 'a^b', 'a\\S\\b'],
    ['subcomponent', 'a&b', 'a\\T\\b'],
    ['repetition', 'a~b', 'a\\R\\b'],
    ['escape', 'C:\\temp', 'C:\\E\\temp'],
    ['CR and LF', 'a\r\nb', 'a\\X0D\\\\X0A\\b'],
  ])('%s', (_name, value, expected) => {
    expect(escapeText(value, defaultDelimiters)).toBe(expected);
  });

  it('uses the message delimiters, truncation included', () => {
    expect(escapeText('#!@%*|', custom)).toBe('%F%%S%%R%%E%%T%|');
    expect(escapeText('a#b', withTruncation)).toBe('a\\P\\b');
  });

  it.each(['', 'a|b^c&d~e\\f', '\\F\\ literally', 'line\rbreak\n', '\u00e9\u4e2d'])('round-trips %j', (value) => {
    expect(unescapeText(escapeText(value, defaultDelimiters), defaultDelimiters)).toBe(value);
    expect(unescapeText(escapeText(value, custom), custom)).toBe(value);
  });
});
