import { v2Coding } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { comp, sub, text } from './v2-reader.ts';

// CX/EI → Identifier (IG "CX[Identifier]", "HD[uri]"). The system comes from the assigning
// authority: the configured table `fhir.identifierSystems` (looked up by the HD as written, then by
// its namespace id), else `urn:oid:`/`urn:uuid:` for an ISO/UUID-typed HD, else a URI written in the
// HD itself. Otherwise there is no system (decisions.md: never a placeholder domain), and the
// authority's name is kept as `assigner.display`.

/** An HD (a component whose sub-components are namespace id, universal id, universal id type). */
export type Authority = { raw: string | undefined; namespace: string | undefined; universal: string | undefined; type: string | undefined };

export function readAuthority(hd: string, ctx: MapContext): Authority {
  const { d } = ctx;
  const parts = [1, 2, 3].map((n) => text(sub(hd, n, d), d));
  const raw = parts.some((p) => p !== undefined) ? parts.map((p) => p ?? '').join('&').replace(/&+$/, '') : undefined;
  return { raw, namespace: parts[0], universal: parts[1], type: parts[2] };
}

export function authoritySystem(a: Authority, ctx: MapContext): string | undefined {
  const table = ctx.options.identifierSystems;
  if (a.raw !== undefined && table[a.raw] !== undefined) return table[a.raw];
  if (a.namespace !== undefined && table[a.namespace] !== undefined) return table[a.namespace];
  const type = a.type?.toUpperCase();
  if (a.universal !== undefined && type === 'ISO' && /^[0-2](\.(0|[1-9]\d*))+$/.test(a.universal)) return `urn:oid:${a.universal}`;
  if (a.universal !== undefined && type === 'UUID' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(a.universal)) {
    return `urn:uuid:${a.universal.toLowerCase()}`;
  }
  if (a.universal !== undefined && (type === 'URI' || type === 'URL') && /^[a-z][a-z0-9+.-]*:\S+$/i.test(a.universal)) return a.universal;
  return undefined;
}

/** CX → Identifier; undefined when CX-1 is empty. `use` is for callers that know it (MRG: old). */
export function toIdentifier(cx: string, ctx: MapContext, use?: string): Json | undefined {
  const { d } = ctx;
  const value = text(comp(cx, 1, d), d);
  if (value === undefined) return undefined;
  const authority = readAuthority(comp(cx, 4, d), ctx);
  const system = authoritySystem(authority, ctx);
  const typeCode = text(comp(cx, 5, d), d);
  const start = toFhirDateTime(text(comp(cx, 7, d), d), ctx.options.defaultTimeZone);
  const end = toFhirDateTime(text(comp(cx, 8, d), d), ctx.options.defaultTimeZone);
  return {
    use,
    type: typeCode === undefined ? undefined : { coding: [v2Coding('0203', typeCode)] },
    system,
    value,
    period: { start, end },
    assigner: system === undefined && authority.namespace !== undefined ? { display: authority.namespace } : undefined,
  };
}

/** EI (entity id, namespace, universal id, type) → Identifier with a v2-0203 type code (PLAC, FILL…). */
export function eiToIdentifier(ei: string, ctx: MapContext, typeCode?: string): Json | undefined {
  const { d } = ctx;
  const value = text(comp(ei, 1, d), d);
  if (value === undefined) return undefined;
  const hd = [2, 3, 4].map((n) => comp(ei, n, d)).join(d.subcomponent);
  const authority = readAuthority(hd, ctx);
  const system = authoritySystem(authority, ctx);
  return {
    type: typeCode === undefined ? undefined : { coding: [v2Coding('0203', typeCode)] },
    system,
    value,
    assigner: system === undefined && authority.namespace !== undefined ? { display: authority.namespace } : undefined,
  };
}

/** The EI's entity id and its authority as one key part (for ids): `value|namespace&universal&type`. */
export function eiKey(ei: string, ctx: MapContext): string | undefined {
  const { d } = ctx;
  const value = text(comp(ei, 1, d), d);
  if (value === undefined) return undefined;
  const authority = [2, 3, 4].map((n) => text(comp(ei, n, d), d) ?? '').join('&').replace(/&+$/, '');
  return `${value}|${authority}`;
}
