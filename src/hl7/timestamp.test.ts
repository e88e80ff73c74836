import { describe, expect, it } from 'vitest';
import { formatHl7Timestamp, isValidHl7Timestamp } from './timestamp.ts';

describe('isValidHl7Timestamp', () => {
  it.each([
    '2026',
    '202602',
    '20260228',
    '2026022812',
    '202602281230',
    '20260228123059',
    '20260228123059.1',
    '20260228123059.1234',
    '20240229',
    '20000229',
    '20260228000000',
    '20260228235959',
    '20260228123059-0500',
    '20260228+0100',
    '20260101000000+1400',
    '20221205134200.000-0500',
    '20260228123059^S',
    '20120918173931-0500',
  ])('accepts %s', (value) => {
    expect(isValidHl7Timestamp(value)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['3 digits', '202'],
    ['odd length', '2026022812305'],
    ['month 13', '202613'],
    ['month 00', '202600'],
    ['day 00', '20260100'],
    ['Feb 30', '20260230'],
    ['Feb 29 of a common year', '20250229'],
    ['Feb 29 of 1900', '19000229'],
    ['April 31', '20260431'],
    ['hour 24', '20260228240000'],
    ['minute 60', '20260228236000'],
    ['second 60', '20260228235960'],
    ['Feb 30, hour 25, minute 61', '20260230256100'],
    ['5 fraction digits', '20260228123059.12345'],
    ['fraction without seconds', '202602281230.1'],
    ['short zone', '20260228123059+05'],
    ['zone hour 24', '20260228123059+2400'],
    ['zone minute 60', '20260228123059+0160'],
    ['ISO 8601 dashes', '2026-02-28'],
    ['leading space', ' 20260228'],
    ['trailing space', '20260228 '],
    ['text', 'something wrong here '],
  ])('refuses %s', (_name, value) => {
    expect(isValidHl7Timestamp(value)).toBe(false);
  });

  it('reads component 1 with the message component separator', () => {
    expect(isValidHl7Timestamp('20260228!S', '!')).toBe(true);
    expect(isValidHl7Timestamp('20260230!S', '!')).toBe(false);
  });
});

describe('formatHl7Timestamp', () => {
  it.each([
    [new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), '20260102030405+0000'],
    [new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), '20261231235959+0000'],
    [new Date('2026-06-01T02:00:00+02:00'), '20260601000000+0000'],
  ])('formats %o in UTC', (date, expected) => {
    expect(formatHl7Timestamp(date)).toBe(expected);
    expect(isValidHl7Timestamp(expected)).toBe(true);
  });
});
