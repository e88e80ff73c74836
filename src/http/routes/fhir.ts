import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parse as parseQueryString } from 'node:querystring';
import { parseEverything, parseSearch, searchTypes, type Query, type SearchSpec, type SearchType } from '../../fhir/search/params.ts';
import type { FhirStore, StoredResource } from '../../fhir/store/fhir-store.ts';
import { StoreUnavailableError } from '../../store/store.ts';
import { baseUrlOf, fhirContentType, historyOf, refusedFormat, searchsetOf, sendOutcome } from './fhir-answers.ts';
import { capabilityStatement } from './fhir-capability.ts';

// The Patient 360 API (FHIR R4, read-only, JSON): metadata, read, vread, history, search (GET, and
// POST [type]/_search with a form body, so names and birth dates stay out of URLs), and
// Patient/$everything. Every route needs the `fhir` role (`read` holds it). Errors are OperationOutcome.

export type FhirRouteDeps = { fhir: FhirStore };

const route = { config: { auth: 'fhir' as const }, schema: { hide: true } };
const typePattern = /^[A-Z][A-Za-z]{1,63}$/;
const idPattern = /^[A-Za-z0-9\-.]{1,64}$/;

type Params = { type?: string; id?: string; vid?: string };

export const fhirRoutes: FastifyPluginAsync<FhirRouteDeps> = async (app, deps) => {
  const { fhir } = deps;
  app.addHook('preHandler', async (request, reply) => {
    const refused = refusedFormat(request);
    if (refused !== null) return sendOutcome(reply, 406, 'not-supported', refused);
    return undefined;
  });
  // Search parameters as a form (R4 http.html#search: POST [type]/_search); small, parameters only.
  app.addContentTypeParser(formContentType, { parseAs: 'string', bodyLimit: maxFormBytes }, (_request, body, done) => done(null, formQuery(String(body))));
  app.post('/fhir/:type/_search', { ...route, onRequest: refuseNonForm }, (request, reply) => {
    const query = mergeQueries(request.query as Query, request.body as Query | undefined);
    const refused = refusedFormat(request, query);
    if (refused !== null) return sendOutcome(reply, 406, 'not-supported', refused);
    return guarded(reply, () => search(fhir, request, reply, query));
  });
  app.get('/fhir/metadata', route, (request, reply) => reply.type(fhirContentType).send(capabilityStatement(baseUrlOf(request))));
  app.get('/fhir/Patient/:id/$everything', route, (request, reply) => guarded(reply, () => everything(fhir, request, reply)));
  app.get('/fhir/:type', route, (request, reply) => guarded(reply, () => search(fhir, request, reply)));
  app.get('/fhir/:type/:id', route, (request, reply) => guarded(reply, () => read(fhir, request, reply)));
  app.get('/fhir/:type/:id/_history', route, (request, reply) => guarded(reply, () => history(fhir, request, reply)));
  app.get('/fhir/:type/:id/_history/:vid', route, (request, reply) => guarded(reply, () => vread(fhir, request, reply)));
  app.get('/fhir/*', route, (_request, reply) => sendOutcome(reply, 404, 'not-supported', 'no such FHIR interaction'));
};

async function search(fhir: FhirStore, request: FastifyRequest, reply: FastifyReply, query = request.query as Query): Promise<FastifyReply> {
  const { type = '' } = request.params as Params;
  if (!(searchTypes as readonly string[]).includes(type)) return sendOutcome(reply, 404, 'not-supported', `search of ${typePattern.test(type) ? type : 'this type'} is not supported`);
  const parsed = parseSearch(type as SearchType, query, isLenient(request));
  if (!parsed.ok) return sendOutcome(reply, 400, 'invalid', ...parsed.issues);
  const spec = await withMergedPatients(fhir, parsed.spec);
  const page = await fhir.search(spec);
  // A merged-away patient is marked (active false, link replaced-by) and brings its survivor along.
  const survivors = await included(fhir, page.matches);
  const links = { base: baseUrlOf(request), path: type, params: parsed.spec.applied, count: spec.count, offset: spec.offset };
  return reply.type(fhirContentType).send(searchsetOf(page, links, survivors, ignoredNotes(parsed.ignored)));
}

async function everything(fhir: FhirStore, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { id = '' } = request.params as Params;
  const patient = idPattern.test(id) ? await fhir.read('Patient', id) : null;
  if (patient === null) return sendOutcome(reply, 404, 'not-found', 'no Patient with this id');
  const parsed = parseEverything(request.query as Query, isLenient(request));
  if (!parsed.ok) return sendOutcome(reply, 400, 'invalid', ...parsed.issues);
  const { spec } = parsed;
  const page = await fhir.everything({ patientIds: await fhir.withMerged(id), types: spec.types, since: spec.since, count: spec.count, offset: spec.offset });
  const links = { base: baseUrlOf(request), path: `Patient/${id}/$everything`, params: spec.applied, count: spec.count, offset: spec.offset };
  return reply.type(fhirContentType).send(searchsetOf(page, links, [], ignoredNotes(parsed.ignored)));
}

async function read(fhir: FhirStore, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const found = await current(fhir, request, reply);
  if (found === null) return reply;
  return reply
    .header('etag', `W/"${found.version}"`)
    .header('last-modified', new Date(found.lastUpdated).toUTCString())
    .type(fhirContentType)
    .send(found.resource);
}

async function history(fhir: FhirStore, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { type = '', id = '' } = request.params as Params;
  const versions = typePattern.test(type) && idPattern.test(id) ? await fhir.history(type, id) : [];
  if (versions.length === 0) return sendOutcome(reply, 404, 'not-found', `no ${typePattern.test(type) ? type : 'resource'} with this id`);
  return reply.type(fhirContentType).send(historyOf(baseUrlOf(request), versions));
}

async function vread(fhir: FhirStore, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const { type = '', id = '', vid = '' } = request.params as Params;
  const version = /^[1-9]\d{0,8}$/.test(vid) ? Number(vid) : null;
  const resource = version !== null && typePattern.test(type) && idPattern.test(id) ? await fhir.readVersion(type, id, version) : null;
  if (resource === null) return sendOutcome(reply, 404, 'not-found', 'no such version');
  return reply.header('etag', `W/"${vid}"`).type(fhirContentType).send(resource);
}

/** The current version, or a 404/410 answer already sent (null). */
async function current(fhir: FhirStore, request: FastifyRequest, reply: FastifyReply): Promise<StoredResource | null> {
  const { type = '', id = '' } = request.params as Params;
  const found = typePattern.test(type) && idPattern.test(id) ? await fhir.read(type, id) : null;
  if (found === null) sendOutcome(reply, 404, 'not-found', `no ${typePattern.test(type) ? type : 'resource'} with this id`);
  else if (found.deleted) sendOutcome(reply, 410, 'deleted', 'this resource was deleted');
  else return found;
  return null;
}

const formContentType = 'application/x-www-form-urlencoded';
/** Search parameters are short: a form larger than this is not a search (413). */
const maxFormBytes = 16 * 1024;

/** A form body as a query: node's parser, a repeated name gives a list, as in a query string. */
function formQuery(body: string): Query {
  return { ...parseQueryString(body) };
}

/** Parameters of the URL and of the body together (R4 allows both in one search). */
function mergeQueries(url: Query, body: Query | undefined): Query {
  const merged: Query = { ...url };
  for (const [key, value] of Object.entries(body ?? {})) {
    const before = merged[key];
    if (value === undefined) continue;
    merged[key] = before === undefined ? value : [...[before].flat(), ...[value].flat()];
  }
  return merged;
}

/** POST _search takes a form (or no body at all: parameters in the URL only). */
async function refuseNonForm(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const type = request.headers['content-type'];
  if (type === undefined || (type.split(';', 1)[0] ?? '').trim().toLowerCase() === formContentType) return undefined;
  return sendOutcome(reply, 415, 'not-supported', `POST _search takes ${formContentType}`);
}

/** ?patient=X also finds what belongs to the patients merged into X. */
async function withMergedPatients(fhir: FhirStore, spec: SearchSpec): Promise<SearchSpec> {
  const filters = await Promise.all(
    spec.filters.map(async (f) => (f.kind === 'patient' ? { ...f, ids: [...new Set((await Promise.all(f.ids.map((id) => fhir.withMerged(id)))).flat())] } : f)),
  );
  return { ...spec, filters };
}

async function included(fhir: FhirStore, matches: readonly StoredResource[]): Promise<StoredResource[]> {
  const shown = new Set(matches.map((m) => m.resource.id));
  const ids = [...new Set(matches.flatMap((m) => (m.mergedInto !== null && !shown.has(m.mergedInto) ? [m.mergedInto] : [])))];
  const found = await Promise.all(ids.map((id) => fhir.read('Patient', id)));
  return found.filter((f): f is StoredResource => f !== null && !f.deleted);
}

function ignoredNotes(ignored: readonly string[]): string[] {
  return ignored.length === 0 ? [] : [`ignored (Prefer: handling=lenient): ${ignored.join(', ')}`];
}

/** `Prefer: handling=lenient` (R4 search.html#errors): unknown parameters are ignored instead of refused. */
function isLenient(request: FastifyRequest): boolean {
  const prefer = request.headers.prefer;
  return typeof prefer === 'string' && /(^|[;,\s])handling\s*=\s*lenient\b/i.test(prefer);
}

/** A database that cannot be reached is 503 with Retry-After, as for the rest of the API. */
async function guarded(reply: FastifyReply, work: () => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    reply.header('retry-after', '30');
    return sendOutcome(reply, 503, 'transient', 'the store cannot be reached now; try again later');
  }
}
