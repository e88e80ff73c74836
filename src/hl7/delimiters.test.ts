import { describe, expect, it } from 'vitest';
import { defaultDelimiters, readDelimiters } from './delimiters.ts';

describe('readDelimiters', () => {
  it.each([
    ['MSH|^~\\&|APP|', '^~\\&', { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&', truncation: null }],
    ['MSH|^~\\&#|APP|', '^~\\&#', { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&', truncation: '#' }],
    ['MSH^~|\\&^SENDING^', '~|\\&', { field: '^', component: '~', repetition: '|', escape: '\\', subcomponent: '&', truncation: null }],
    ['MSH#!@%*#SENDER#', '!@%*', { field: '#', component: '!', repetition: '@', escape: '%', subcomponent: '*', truncation: null }],
    ['MSH$%~\\&$a$b', '%~\\&', { field: '$', component: '%', repetition: '~', escape: '\\', subcomponent: '&', truncation: null }],
    ['MSH|^~\\&', '^~\\&', defaultDelimiters],
    ['MSH|^~\\&\rPID|1', '^~\\&', defaultDelimiters],
  ])('reads the legal set in %j', (text, encodingCharacters, delimiters) => {
    expect(readDelimiters(text)).toEqual({ ok: true, delimiters, encodingCharacters });
  });

  it.each([
    ['MSH||APP|', '|', 'empty'],
    ['MSH|^~\\|APP|', '|', 'fewer than 4'],
    ['MSH|^~&|APP|', '|', 'fewer than 4'],
    ['MSH|^\\&|APP|', '|', 'fewer than 4'],
    ['MSH|^|||||||^A|', '|', 'fewer than 4'],
    ['MSH|^~|\\&|', '|', 'fewer than 4'],
    ['MSH|^~\n\\&|', '|', 'fewer than 4'],
    ['MSH|@%\\&$?!|', '|', 'more than 5'],
    ['MSH|&&&&|APP|', '|', 'repeats'],
    ['MSH|^&&^|APP|', '|', 'repeats'],
    ['MSH|^~\\\\&|APP|', '|', 'repeats'],
    ['MSH|^~a&|APP|', '|', 'cannot be a delimiter'],
    ['MSH|^~1&|APP|', '|', 'cannot be a delimiter'],
    ['MSH|^~\\ |APP|', '|', 'cannot be a delimiter'],
    ['MSH|^~\\\x00|APP|', '|', 'cannot be a delimiter'],
    ['MSH|^~\\\u00e9|APP|', '|', 'cannot be a delimiter'],
    ['MSHH0', null, 'MSH-1'],
    ['MSH1^~\\&1', null, 'MSH-1'],
    ['MSH ^~\\& ', null, 'MSH-1'],
    ['MSH', null, 'MSH-1'],
    ['MSH\r', null, 'MSH-1'],
  ])('refuses %j', (text, field, reason) => {
    const result = readDelimiters(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.field).toBe(field);
    expect(result.reason).toContain(reason);
  });
});
