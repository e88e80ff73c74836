// Whether two JSON values serialise to the same JSON once object keys are sorted (key order aside),
// without serialising either. The store asks this of every write to decide "unchanged": comparing
// sorted-key serialisations (a JSON.stringify replacer rebuilding every object) was 40 % of the
// FHIR sink's CPU with the garbage it made (bench/fhir-apply.ts, ORU of 100 OBX). Follows
// JSON.stringify: toJSON is called, keys with undefined/function/symbol values are absent, and in an
// array such a value, like a non-finite number, is null.

export function isSameJson(a: unknown, b: unknown): boolean {
  return same(jsonOf(a, false), jsonOf(b, false));
}

/** The value JSON.stringify would write for it (`undefined`: nothing, as for a dropped key). */
function jsonOf(value: unknown, inArray: boolean): unknown {
  let v = value;
  if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): unknown }).toJSON();
  if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return inArray ? null : undefined;
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (v instanceof Number || v instanceof String || v instanceof Boolean) return v.valueOf();
  return v;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!same(jsonOf(a[i], true), jsonOf(b[i], true))) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const key in x) {
    if (!Object.hasOwn(x, key)) continue;
    const xv = jsonOf(x[key], false);
    if (xv === undefined) continue;
    count += 1;
    if (!Object.hasOwn(y, key) || !same(xv, jsonOf(y[key], false))) return false;
  }
  for (const key in y) {
    if (Object.hasOwn(y, key) && jsonOf(y[key], false) !== undefined) count -= 1;
  }
  return count === 0;
}
