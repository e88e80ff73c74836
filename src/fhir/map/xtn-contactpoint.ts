import { telecomSystem0202, telecomUse0201 } from './concept-maps.ts';
import type { MapContext, Json } from './context.ts';
import { compText } from './v2-reader.ts';

// XTN → ContactPoint (IG "XTN[ContactPoint]"): the value is XTN-4 for Internet/X.400, else XTN-12
// (unformatted number), else the number built from 5-8 (country, area, local, extension), else
// XTN-1 (the formatted number, deprecated but still the most common); 2 → use (0201), 3 → system
// (0202; CP is a phone whose use is mobile); 18 → rank. `defaultUse` is PID-13 home / PID-14 work.

export function toContactPoint(xtn: string, ctx: MapContext, defaultUse?: string): Json | undefined {
  const { d } = ctx;
  const at = (n: number): string | undefined => compText(xtn, n, d);
  const equipment = at(3);
  const isEmail = equipment === 'Internet' || equipment === 'X.400';
  const built = [at(5) === undefined ? undefined : `+${at(5)}`, at(6), at(7)].filter((p) => p !== undefined).join(' ');
  const extension = at(8) === undefined ? '' : ` ext. ${at(8)}`;
  const value = isEmail ? (at(4) ?? at(1)) : (at(12) ?? (at(7) !== undefined ? built + extension : at(1)));
  if (value === undefined) return undefined;
  const useCode = at(2);
  const rank = Number(at(18));
  return {
    system: equipment === undefined ? (value.includes('@') ? 'email' : 'phone') : (telecomSystem0202[equipment] ?? 'other'),
    value,
    use: equipment === 'CP' ? 'mobile' : ((useCode === undefined ? undefined : telecomUse0201[useCode]) ?? defaultUse),
    rank: Number.isInteger(rank) && rank > 0 ? rank : undefined,
  };
}
