import { addressType0190, addressUse0190 } from './concept-maps.ts';
import type { MapContext, Json } from './context.ts';
import { comp, compText, text } from './v2-reader.ts';

// XAD → Address (IG "XAD[Address]"): 1 (street address) and 2 line,
// 3 city, 4 state, 5 postalCode, 6 country, 9 district; 7 (0190) gives `use`, or `type` for M/SH.

export function toAddress(xad: string, ctx: MapContext): Json | undefined {
  const { d } = ctx;
  const at = (n: number): string | undefined => compText(xad, n, d);
  // XAD-1 is an SAD (street & street name & dwelling number): one line, its parts in order.
  const street = comp(xad, 1, d).split(d.subcomponent).map((part) => text(part, d)).filter((p) => p !== undefined).join(' ');
  const line = [street === '' ? undefined : street, at(2)].filter((l) => l !== undefined);
  const kind = at(7);
  const address = {
    use: kind === undefined ? undefined : addressUse0190[kind],
    type: kind === undefined ? undefined : addressType0190[kind],
    line,
    city: at(3),
    district: at(9),
    state: at(4),
    postalCode: at(5),
    country: at(6),
  };
  return line.length === 0 && [address.city, address.state, address.postalCode, address.country, address.district].every((v) => v === undefined) ? undefined : address;
}
