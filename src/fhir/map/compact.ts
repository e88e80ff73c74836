// FHIR forbids empty elements ("" strings, [] arrays, {} objects): the maps build resources with
// optional parts written as `undefined` and this removes whatever ended up empty, keeping key order
// (so the same input always serialises to the same bytes).

export function compact<T>(value: T): T {
  return prune(value) as T;
}

function prune(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (Array.isArray(value)) {
    const items = value.map(prune).filter((item) => item !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    let any = false;
    for (const [key, item] of Object.entries(value)) {
      const pruned = prune(item);
      if (pruned !== undefined) {
        out[key] = pruned;
        any = true;
      }
    }
    return any ? out : undefined;
  }
  return value;
}
