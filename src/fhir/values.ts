// Value rules shared by what the store indexes and what a search asks: FHIR string normalization and
// FHIR dates as ranges. Pure.

/** FHIR string search compares "after both have been normalized by case and accent" (R4 search.html#string). */
export function normalizeText(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** A value's implicit range [lo, hi) in epoch milliseconds (R4 search.html#date: "the range of the value"). */
export type DateRange = { lo: number; hi: number };

const datePattern = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The range of a FHIR date, dateTime or instant, at its precision: `1970` is the whole year, `1970-05`
 * the month, a dateTime its minute, second or millisecond. Without an offset, UTC (dates have none).
 * Null when the text is not such a value.
 */
export function dateRangeOf(text: string): DateRange | null {
  const m = datePattern.exec(text);
  if (m === null) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const month = mo === undefined ? 0 : Number(mo) - 1;
  const day = d === undefined ? 1 : Number(d);
  if (month > 11 || day < 1 || day > 31) return null;
  const offset = zone === undefined || zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)));
  const base = Date.UTC(year, month, day, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), frac === undefined ? 0 : Math.floor(Number(frac) * 1000));
  if (Number.isNaN(base) || new Date(base).getUTCDate() !== day) return null;
  const lo = base - offset * 60_000;
  if (mo === undefined) return { lo, hi: Date.UTC(year + 1, 0, 1) - offset * 60_000 };
  if (d === undefined) return { lo, hi: Date.UTC(year, month + 1, 1) - offset * 60_000 };
  if (h === undefined) return { lo, hi: lo + 86_400_000 };
  if (s === undefined) return { lo, hi: lo + 60_000 };
  if (frac === undefined) return { lo, hi: lo + 1000 };
  return { lo, hi: lo + 1 };
}

/** Open ends of a Period. */
export const farPast = -8_640_000_000_000_000;
export const farFuture = 8_640_000_000_000_000;

/** A Period's range: from its start's lo to its end's hi; a missing end is open. */
export function periodRangeOf(start: unknown, end: unknown): DateRange | null {
  const from = typeof start === 'string' ? dateRangeOf(start) : null;
  const to = typeof end === 'string' ? dateRangeOf(end) : null;
  if (from === null && to === null) return null;
  return { lo: from?.lo ?? farPast, hi: to?.hi ?? farFuture };
}
