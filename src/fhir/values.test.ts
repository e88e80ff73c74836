import { describe, expect, it } from 'vitest';
import { dateRangeOf, normalizeText, periodRangeOf, farFuture } from './values.ts';

describe('normalizeText', () => {
  it.each([
    ['Müller', 'muller'],
    ['  ÉLODIE  Anne ', 'elodie anne'],
    ['Ørsted', 'ørsted'],
    ['Ｓｍｉｔｈ', 'smith'],
  ])('%s → %s', (input, expected) => expect(normalizeText(input)).toBe(expected));
});

describe('dateRangeOf', () => {
  const utc = (s: string): number => Date.parse(s);
  it.each([
    ['1970', '1970-01-01T00:00:00Z', '1971-01-01T00:00:00Z'],
    ['1970-05', '1970-05-01T00:00:00Z', '1970-06-01T00:00:00Z'],
    ['1970-12', '1970-12-01T00:00:00Z', '1971-01-01T00:00:00Z'],
    ['1970-05-31', '1970-05-31T00:00:00Z', '1970-06-01T00:00:00Z'],
    ['2024-02-29', '2024-02-29T00:00:00Z', '2024-03-01T00:00:00Z'],
    ['2020-01-01T10:00+02:00', '2020-01-01T08:00:00Z', '2020-01-01T08:01:00Z'],
    ['2020-01-01T10:00:05Z', '2020-01-01T10:00:05Z', '2020-01-01T10:00:06Z'],
    ['2020-01-01T10:00:05.250-01:30', '2020-01-01T11:30:05.250Z', '2020-01-01T11:30:05.251Z'],
  ])('%s', (text, lo, hi) => expect(dateRangeOf(text)).toEqual({ lo: utc(lo), hi: utc(hi) }));

  it.each(['19700501', '1970-13', '2023-02-29', '1970-5', 'soon', ''])('refuses %j', (text) => expect(dateRangeOf(text)).toBeNull());

  it('reads a Period with an open end', () => {
    expect(periodRangeOf('2020-01-01', undefined)).toEqual({ lo: Date.parse('2020-01-01T00:00:00Z'), hi: farFuture });
    expect(periodRangeOf(undefined, undefined)).toBeNull();
  });
});
