// Reading one component out of a field value in place, without splitting it into an array:
// this runs several times per message on the hot path.

/** The part of `value` before the first `separator`. */
export function first(value: string, separator: string): string {
  const end = value.indexOf(separator);
  return end === -1 ? value : value.slice(0, end);
}

/** Component `n` (1-based) of a field, trimmed. */
export function component(value: string, separator: string, n: number): string {
  return nthPart(value, separator, n).trim();
}

/** Part `n` (1-based) between separators, as written (no array per call). */
export function nthPart(value: string, separator: string, n: number): string {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const next = value.indexOf(separator, start);
    if (next === -1) return '';
    start = next + 1;
  }
  const end = value.indexOf(separator, start);
  return end === -1 ? (start === 0 ? value : value.slice(start)) : value.slice(start, end);
}

