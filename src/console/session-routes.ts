import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ApiRole, HttpsConfig } from '../config/schema.ts';
import { peerCertSubject } from '../http/auth.ts';
import { isCrossSite } from '../http/csrf.ts';
import { consoleRolesOf, createIdentify, createKeyCheck, type Identity } from '../http/identity.ts';
import { sendProblem } from '../http/problem.ts';
import { problemJsonSchema, zodValidated } from '../http/routes/route-schema.ts';
import { sessionViewSchema, signInBodySchema, type SessionView } from './api.ts';
import type { SessionClaims } from './session.ts';
import type { ConsoleSessions } from './sessions.ts';

// Signing in to the console and out of it. POST checks an API key exactly as the Bearer header
// would be checked (identity.ts), or, with an empty body, the verified client certificate; it then
// sets the session cookie. Sign-ins and refusals are logged with the key's name and the peer's
// address, never the key. GET says who is signed in; DELETE signs out (CSRF token required, as for
// every state-changing request the cookie authorises: auth.ts).

export type SessionRouteDeps = {
  sessions: ConsoleSessions;
  config: Pick<HttpsConfig, 'apiKeys' | 'clientCerts'>;
  /** Sign-in attempts per client address per minute. */
  signInsPerMinute: number;
};

export const sessionRoutes: FastifyPluginAsync<SessionRouteDeps> = async (app, deps) => {
  const checkKey = createKeyCheck(deps.config);
  const identifyCert = createIdentify(deps.config);
  const rateLimit = { max: deps.signInsPerMinute, timeWindow: 60_000, keyGenerator: (request: FastifyRequest) => `sign-in:${request.ip}` };
  app.post('/api/console/session', { config: { auth: 'public', rateLimit }, ...zodValidated, schema: signInSchema }, (request, reply) => {
    const body = signInBodySchema.safeParse(request.body ?? {});
    if (!body.success) return sendProblem(reply, 400, 'Bad Request', 'send {"apiKey": "<key>"}, or an empty body with a client certificate');
    const apiKey = body.data.apiKey;
    const identity = apiKey === undefined ? identifyCert({ authorization: undefined, certSubject: peerCertSubject(request) }) : checkKey(apiKey);
    return signIn(deps.sessions, request, reply, identity, apiKey === undefined ? 'cert' : 'key');
  });
  app.get('/api/console/session', { config: { auth: 'session' }, ...zodValidated, schema: showSchema }, (request, reply) => {
    const session = request.consoleSession;
    if (session === null) return sendProblem(reply, 401, 'Unauthorized', 'no console session: sign in first');
    return viewOf(deps.sessions, session, request.principal?.roles ?? []);
  });
  app.delete('/api/console/session', { config: { auth: 'session' }, ...zodValidated, schema: signOutSchema }, (request, reply) => {
    const session = request.consoleSession;
    if (session === null) return sendProblem(reply, 401, 'Unauthorized', 'no console session: sign in first');
    deps.sessions.end(session);
    request.log.info({ keyName: session.name, via: session.via, remote: request.ip }, 'console sign-out');
    // The auth hook may have renewed the cookie for this request: the removal replaces it.
    reply.removeHeader('set-cookie');
    reply.header('set-cookie', deps.sessions.clearCookie);
    reply.header('clear-site-data', '"cache", "cookies", "storage"');
    return reply.code(204).send();
  });
};

function signIn(sessions: ConsoleSessions, request: FastifyRequest, reply: FastifyReply, identity: Identity, via: 'key' | 'cert'): SessionView | FastifyReply {
  if (isCrossSite(request)) {
    request.log.warn({ remote: request.ip, via, reason: 'cross-site' }, 'console sign-in refused');
    return sendProblem(reply, 403, 'Forbidden', 'sign in from the console itself (Sec-Fetch-Site is not same-origin)');
  }
  if (identity.kind !== 'known') {
    request.log.warn({ remote: request.ip, via, reason: identity.kind }, 'console sign-in refused');
    const detail = via === 'key' ? 'the API key is not known' : 'send an API key, or a client certificate listed in https.clientCerts';
    return sendProblem(reply.header('www-authenticate', 'Bearer'), 401, 'Unauthorized', detail);
  }
  const { name } = identity.principal;
  const roles = consoleRolesOf(identity.principal.roles);
  if (roles.length === 0) {
    request.log.warn({ remote: request.ip, via, keyName: name, reason: 'no console role' }, 'console sign-in refused');
    return sendProblem(reply, 403, 'Forbidden', `${via === 'key' ? `the API key ${name}` : 'this client certificate'} has no role the console uses (read, operate, fhir)`);
  }
  // The browser's previous session, if any, ends here rather than linger as a valid copy.
  const previous = sessions.read(request.headers.cookie);
  if (previous?.ok === true) sessions.end(previous.claims);
  const { claims, setCookie } = sessions.start({ name, via });
  request.log.info({ keyName: name, via, remote: request.ip }, 'console sign-in');
  reply.header('set-cookie', setCookie);
  return viewOf(sessions, claims, roles);
}

function viewOf(sessions: ConsoleSessions, claims: SessionClaims, roles: readonly ApiRole[]): SessionView {
  const { idleExpiresAt, expiresAt } = sessions.expiries(claims);
  return {
    name: claims.name,
    via: claims.via,
    roles: consoleRolesOf(roles),
    csrfToken: sessions.csrfToken(claims),
    idleExpiresAt: idleExpiresAt.toISOString(),
    expiresAt: expiresAt.toISOString(),
  };
}

const tags = ['console'];
const viewJson = z.toJSONSchema(sessionViewSchema, { target: 'openapi-3.0' });

const signInSchema = {
  tags,
  summary: 'Sign in to the console with an API key (or, body empty, a listed client certificate): sets the session cookie',
  body: z.toJSONSchema(signInBodySchema, { io: 'input', target: 'openapi-3.0' }),
  response: { 200: viewJson, 400: problemJsonSchema, 401: problemJsonSchema, 403: problemJsonSchema, 429: problemJsonSchema },
};

const showSchema = {
  tags,
  summary: 'The console session of this cookie: who, which roles, the CSRF token, when it ends',
  response: { 200: viewJson, 401: problemJsonSchema },
};

const signOutSchema = {
  tags,
  summary: 'Sign out: ends the session on this instance and clears the cookie (needs the CSRF token)',
  response: { 204: { description: 'signed out', type: 'null' }, 401: problemJsonSchema, 403: problemJsonSchema },
};
