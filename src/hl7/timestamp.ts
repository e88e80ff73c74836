// HL7 v2 DTM (and TS component 1): YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ].

const dtm = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.\d{1,4})?)?)?)?)?)?(?:[+-](\d{2})(\d{2}))?$/;

/**
 * True for a well-formed timestamp naming a real instant: Feb 30, Feb 29 of a common year,
 * hour 24, minute or second 60 are refused. A TS `^precision` component is ignored.
 */
export function isValidHl7Timestamp(value: string, componentSeparator = '^'): boolean {
  const separator = value.indexOf(componentSeparator);
  const match = dtm.exec(separator === -1 ? value : value.slice(0, separator));
  if (match === null) return false;
  const [, year, month, day, hour, minute, second, zoneHours, zoneMinutes] = match;
  return (
    inRange(month, 1, 12) &&
    inRange(day, 1, daysInMonth(Number(year), Number(month))) &&
    inRange(hour, 0, 23) &&
    inRange(minute, 0, 59) &&
    inRange(second, 0, 59) &&
    inRange(zoneHours, 0, 23) &&
    inRange(zoneMinutes, 0, 59)
  );
}

/** Absent parts are valid: the precision simply stops before them. */
function inRange(part: string | undefined, min: number, max: number): boolean {
  if (part === undefined) return true;
  const value = Number(part);
  return value >= min && value <= max;
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (monthDays[month - 1] ?? 0);
}

/** `YYYYMMDDHHMMSS+0000`, in UTC. */
export function formatHl7Timestamp(date: Date): string {
  const pad = (value: number, width = 2): string => String(value).padStart(width, '0');
  return (
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    '+0000'
  );
}
