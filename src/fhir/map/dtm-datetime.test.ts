import { describe, expect, it } from 'vitest';
import { isKnownZone, toFhirDate, toFhirDateTime, toFhirInstant } from './dtm-datetime.ts';

describe('DTM → FHIR dateTime', () => {
  it.each([
    ['2024', 'UTC', '2024'],
    ['202403', 'UTC', '2024-03'],
    ['20240315', 'Europe/Zurich', '2024-03-15'],
    ['2024031514', 'UTC', '2024-03-15T14:00:00+00:00'],
    ['202403151430', 'UTC', '2024-03-15T14:30:00+00:00'],
    ['20240315143005', 'UTC', '2024-03-15T14:30:05+00:00'],
    ['20240315143005.1234', 'UTC', '2024-03-15T14:30:05.1234+00:00'],
    ['20240315143005-0500', 'Europe/Zurich', '2024-03-15T14:30:05-05:00'],
    ['202403151430+0215', 'UTC', '2024-03-15T14:30:00+02:15'],
    // The zone's offset at that wall-clock time: winter and summer time.
    ['20240115120000', 'Europe/Zurich', '2024-01-15T12:00:00+01:00'],
    ['20240715120000', 'Europe/Zurich', '2024-07-15T12:00:00+02:00'],
    ['20240715120000', 'America/New_York', '2024-07-15T12:00:00-04:00'],
    ['20241215120000', 'America/New_York', '2024-12-15T12:00:00-05:00'],
    ['20240715120000', 'Asia/Kolkata', '2024-07-15T12:00:00+05:30'],
    // Day after the spring-forward night, and the hour before it.
    ['20240331013000', 'Europe/Zurich', '2024-03-31T01:30:00+01:00'],
    ['20240331033000', 'Europe/Zurich', '2024-03-31T03:30:00+02:00'],
  ])('%s in %s → %s', (v2, zone, fhir) => {
    expect(toFhirDateTime(v2, zone)).toBe(fhir);
  });

  it.each([[''], ['2024-03-15'], ['20240230'], ['20241315'], ['202403152460'], ['abc'], ['2024031'], [undefined]])('%s is not a timestamp: left out', (v2) => {
    expect(toFhirDateTime(v2, 'UTC')).toBeUndefined();
  });

  it('keeps a date a date (no zone moves a birth date)', () => {
    expect(toFhirDate('19880818112600+0215')).toBe('1988-08-18');
    expect(toFhirDateTime('19880818', 'Pacific/Kiritimati')).toBe('1988-08-18');
  });

  it('reads a date-only event time as midnight in the zone (an instant needs a time)', () => {
    expect(toFhirInstant('20240715', 'Europe/Zurich')).toBe('2024-07-15T00:00:00+02:00');
    expect(toFhirInstant('2024', 'UTC')).toBe('2024-01-01T00:00:00+00:00');
  });

  it('knows IANA zones and refuses others', () => {
    expect(isKnownZone('Europe/Zurich')).toBe(true);
    expect(isKnownZone('Mars/Olympus')).toBe(false);
  });
});

describe('zone offsets (cached by quarter hour)', () => {
  // Minute by minute across transition nights: the instant written, shown in the zone, is the wall
  // clock that was sent, except in a spring-forward gap (which has no such wall-clock time).
  // Lord Howe shifts by 30 minutes, Chatham at 02:45: transitions off the whole hour.
  it.each([
    ['Europe/Zurich', '20241027', 0],
    ['Europe/Zurich', '20240331', 60],
    ['Australia/Lord_Howe', '20240407', 0],
    ['Australia/Lord_Howe', '20241006', 30],
    ['Pacific/Chatham', '20240407', 0],
    ['Pacific/Chatham', '20240929', 60],
  ] as const)('%s on %s: the wall clock round-trips (gap minutes: %i)', (zone, day, gapMinutes) => {
    const show = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    let gaps = 0;
    for (let minute = 0; minute < 6 * 60; minute++) {
      const hhmm = `${String(Math.floor(minute / 60)).padStart(2, '0')}${String(minute % 60).padStart(2, '0')}`;
      const instant = Date.parse(toFhirDateTime(`${day}${hhmm}00`, zone) ?? '');
      expect(Number.isNaN(instant)).toBe(false);
      if (show.format(new Date(instant)).replace(':', '') !== hhmm) gaps++;
    }
    expect(gaps).toBe(gapMinutes);
  });
});
