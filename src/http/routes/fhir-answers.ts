import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FhirResource } from '../../fhir/projection.ts';
import type { SearchPage, StoredResource } from '../../fhir/store/fhir-store.ts';

// What the FHIR routes answer: application/fhir+json bodies, OperationOutcome errors, and Bundles
// (searchset with total and paging links, history).

export const fhirContentType = 'application/fhir+json; charset=utf-8';

export type IssueCode = 'invalid' | 'not-found' | 'not-supported' | 'deleted' | 'transient' | 'exception';

export function operationOutcome(severity: 'error' | 'warning' | 'information', code: IssueCode, diagnostics: readonly string[]): FhirResource {
  return { resourceType: 'OperationOutcome', id: 'outcome', issue: diagnostics.map((d) => ({ severity, code, diagnostics: d })) };
}

export function sendOutcome(reply: FastifyReply, status: number, code: IssueCode, ...diagnostics: string[]): FastifyReply {
  return reply.code(status).type(fhirContentType).send(operationOutcome(status >= 400 ? 'error' : 'information', code, diagnostics));
}

/**
 * JSON only (decisions.md): `_format` json forms, or an Accept that allows JSON; XML (or anything
 * else named) is 406. Null when the request may be answered. `query`: the parameters, when a form
 * body holds some (POST _search).
 */
export function refusedFormat(request: FastifyRequest, query: unknown = request.query): string | null {
  const format = (query as Record<string, unknown> | undefined)?._format;
  if (format !== undefined) {
    return typeof format === 'string' && ['json', 'application/json', 'application/fhir+json'].includes(format) ? null : '_format: only json is supported';
  }
  const accept = request.headers.accept;
  if (accept === undefined || accept.trim() === '') return null;
  const types = accept.split(',').map((part) => (part.split(';', 1)[0] ?? '').trim().toLowerCase());
  return types.some((type) => jsonTypes.has(type)) ? null : 'Accept: only application/fhir+json is supported';
}

const jsonTypes = new Set(['*/*', 'application/*', 'application/json', 'application/fhir+json']);

/** The service's FHIR base URL as the client reached it. */
export function baseUrlOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}/fhir`;
}

export function entryOf(base: string, resource: FhirResource, mode?: 'match' | 'include' | 'outcome'): Record<string, unknown> {
  const entry: Record<string, unknown> = { fullUrl: `${base}/${resource.resourceType}/${resource.id}`, resource };
  if (mode !== undefined) entry.search = { mode };
  return entry;
}

export type PageLinks = { base: string; path: string; params: [string, string][]; count: number; offset: number };

/** A searchset: the matches, what they bring along (include), a note on ignored parameters (outcome). */
export function searchsetOf(page: SearchPage, links: PageLinks, included: readonly StoredResource[], notes: readonly string[]): FhirResource {
  const url = (offset: number): string => {
    const query = new URLSearchParams([...links.params, ['_count', String(links.count)], ['_offset', String(offset)]]);
    return `${links.base}/${links.path}?${query.toString()}`;
  };
  const link = [{ relation: 'self', url: url(links.offset) }];
  if (links.count > 0 && links.offset + links.count < page.total) link.push({ relation: 'next', url: url(links.offset + links.count) });
  if (links.count > 0 && links.offset > 0) link.push({ relation: 'previous', url: url(Math.max(0, links.offset - links.count)) });
  const entry = [
    ...page.matches.map((m) => entryOf(links.base, m.resource, 'match')),
    ...included.map((m) => entryOf(links.base, m.resource, 'include')),
  ];
  if (notes.length > 0) entry.push({ search: { mode: 'outcome' }, resource: operationOutcome('warning', 'not-supported', notes) });
  return { resourceType: 'Bundle', id: 'searchset', type: 'searchset', total: page.total, link, ...(entry.length > 0 ? { entry } : {}) };
}

export function historyOf(base: string, versions: readonly FhirResource[]): FhirResource {
  return {
    resourceType: 'Bundle',
    id: 'history',
    type: 'history',
    total: versions.length,
    entry: versions.map((resource) => {
      const version = String((resource.meta as { versionId?: string } | undefined)?.versionId ?? '');
      const url = `${resource.resourceType}/${resource.id}`;
      return {
        fullUrl: `${base}/${url}`,
        resource,
        request: { method: version === '1' ? 'POST' : 'PUT', url },
        response: { status: version === '1' ? '201' : '200', etag: `W/"${version}"` },
      };
    }),
  };
}
