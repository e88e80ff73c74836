import { isValidHl7Timestamp } from '../../hl7/timestamp.ts';

// DTM/TS → FHIR date, dateTime and instant (IG datatype map "DTM[dateTime]": "must convert v2 date
// time format to FHIR date time format"). FHIR requires a zone once hours are given, so a v2 value
// written without an offset gets `fhir.defaultTimeZone` (an IANA zone, its offset at that wall-clock
// time, daylight saving included). A value of day precision or less stays a date: giving a birth
// date a zone would move it. Hours without minutes get :00 (FHIR has no hour precision). Malformed
// values give undefined: the element is left out rather than guessed.

const dtm = /^(\d{4})(\d{2})?(\d{2})?(?:(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,4}))?)?([+-]\d{4})?$/;

type Parts = {
  year: string;
  month?: string | undefined;
  day?: string | undefined;
  hour?: string | undefined;
  minute?: string | undefined;
  second?: string | undefined;
  fraction?: string | undefined;
  offset?: string | undefined;
};

function parse(value: string | undefined): Parts | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!isValidHl7Timestamp(trimmed)) return undefined;
  const m = dtm.exec(trimmed);
  if (m === null) return undefined;
  const [, year = '', month, day, hour, minute, second, fraction, offset] = m;
  // A time needs its date; "2020" + "12" (no day) + hour cannot be told apart, the regex above is greedy.
  if (hour !== undefined && day === undefined) return undefined;
  return { year, month, day, hour, minute, second, fraction, offset };
}

/** FHIR `date` (YYYY, YYYY-MM or YYYY-MM-DD): the date part only. */
export function toFhirDate(value: string | undefined): string | undefined {
  const p = parse(value);
  if (p === undefined) return undefined;
  return [p.year, p.month, p.day].filter((x) => x !== undefined).join('-');
}

/** True when the value carries a time of day (more than a date). */
export function hasTime(value: string | undefined): boolean {
  return parse(value)?.hour !== undefined;
}

/** FHIR `dateTime`: a date stays a date; with a time, seconds and an offset are always written. */
export function toFhirDateTime(value: string | undefined, zone: string): string | undefined {
  const p = parse(value);
  if (p === undefined) return undefined;
  if (p.hour === undefined) return toFhirDate(value);
  return withTime(p, zone);
}

/** FHIR `instant`: like dateTime, with a date-only value read as midnight in `zone`. */
export function toFhirInstant(value: string | undefined, zone: string): string | undefined {
  const p = parse(value);
  if (p === undefined) return undefined;
  return withTime({ ...p, month: p.month ?? '01', day: p.day ?? '01', hour: p.hour ?? '00' }, zone);
}

function withTime(p: Parts, zone: string): string {
  const month = p.month ?? '01';
  const day = p.day ?? '01';
  const hour = p.hour ?? '00';
  const minute = p.minute ?? '00';
  const second = p.second ?? '00';
  const fraction = p.fraction === undefined ? '' : `.${p.fraction}`;
  const offset = p.offset === undefined ? zoneOffset(zone, p.year, month, day, hour, minute, second) : isoOffset(p.offset);
  return `${p.year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${offset}`;
}

function isoOffset(v2: string): string {
  return `${v2.slice(0, 3)}:${v2.slice(3)}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when `zone` is an IANA zone this runtime knows. */
export function isKnownZone(zone: string): boolean {
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Offset (minutes east of UTC) of `zone` at the UTC instant `utcMs`. */
function offsetAt(zone: string, utcMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(new Date(utcMs))) parts[part.type] = Number(part.value);
  const asUtc = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 60_000);
}

/**
 * Offsets by zone and wall-clock quarter hour. Intl.formatToParts costs ~20 µs a call, and a lab
 * report repeats the same few times. Zone transitions fall on quarter hours (tzdata since the 1970s),
 * so one offset holds for a whole quarter: the cache never changes a result, it only saves work.
 */
const offsets = new Map<string, string>();

/** The offset of a wall-clock time in `zone`, as `+hh:mm` (`Z` is never written: offsets stay explicit). */
function zoneOffset(zone: string, ...wall: string[]): string {
  const quarter = Math.floor(Number(wall[4]) / 15);
  const key = `${zone}|${wall.slice(0, 4).join('')}|${quarter}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size >= 50_000) offsets.clear();
    offset = computeOffset(zone, ...wall.slice(0, 4), String(quarter * 15).padStart(2, '0'), '00');
    offsets.set(key, offset);
  }
  return offset;
}

function computeOffset(zone: string, ...wall: string[]): string {
  const [y, mo, d, h, mi, s] = wall.map(Number);
  const local = Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 1, h ?? 0, mi ?? 0, s ?? 0);
  // Two passes find the offset in force at that wall-clock time (a gap or overlap takes the later).
  const first = offsetAt(zone, local);
  const minutes = offsetAt(zone, local - first * 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
