import { nameUse0200 } from './concept-maps.ts';
import type { MapContext, Json } from './context.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { comp, compText, text } from './v2-reader.ts';

// XPN → HumanName (IG "XPN[HumanName]"): 1 family (its surname sub-component), 2 and 3 given,
// 4 and 6 suffix, 5 prefix, 7 use (0200), 12/13 period. XCN (a person in a role) shares the layout
// from component 2 on.

export function toHumanName(xpn: string, ctx: MapContext, offset = 0): Json | undefined {
  const { d } = ctx;
  const at = (n: number): string | undefined => compText(xpn, n + offset, d);
  const family = at(1);
  const given = [at(2), ...(at(3)?.split(/\s+/) ?? [])].filter((g) => g !== undefined);
  const suffix = [at(4), at(6)].filter((s) => s !== undefined);
  const prefix = at(5);
  const useCode = at(7);
  if (family === undefined && given.length === 0 && suffix.length === 0 && prefix === undefined) return undefined;
  const zone = ctx.options.defaultTimeZone;
  return {
    use: useCode === undefined ? undefined : nameUse0200[useCode],
    family,
    given,
    prefix: prefix === undefined ? undefined : [prefix],
    suffix,
    period: { start: toFhirDateTime(text(comp(xpn, 12 + offset, d), d), zone), end: toFhirDateTime(text(comp(xpn, 13 + offset, d), d), zone) },
  };
}

/** XCN → a display-only Reference (name) with the person's id as its identifier. */
export function xcnToReference(xcn: string, ctx: MapContext): Json | undefined {
  const { d } = ctx;
  const id = compText(xcn, 1, d);
  const name = toHumanName(xcn, ctx, 1);
  const display = name === undefined ? undefined : humanNameText(name);
  if (id === undefined && display === undefined) return undefined;
  return { identifier: id === undefined ? undefined : { value: id }, display };
}

export function humanNameText(name: Json): string {
  const parts = [...((name.prefix as string[] | undefined) ?? []), ...((name.given as string[] | undefined) ?? []), name.family as string | undefined, ...((name.suffix as string[] | undefined) ?? [])];
  return parts.filter((p) => p !== undefined).join(' ');
}
