import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ApiRole, HttpsConfig } from '../config/schema.ts';
import { formatCertSubject } from '../net/cert-subject.ts';
import { anonymous, createIdentify, decide, rateLimitKey, type Identity, type Principal } from './identity.ts';
import { sendProblem } from './problem.ts';

// Fail-closed access control for every route: an onRequest hook reads the route's
// `config.auth`. A route without one is refused (only unknown URLs pass, to answer 404).
// Refusals are logged with the key's name, never the key or any header.

export type { Principal } from './identity.ts';

/** `metrics` and `docs` are public with https.openMetrics / https.openDocs, else they need `read`; `fhir`: the FHIR API (`read` holds it). */
export type AuthNeed = 'public' | 'ingest' | 'read' | 'operate' | 'fhir' | 'metrics' | 'docs';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; set by the auth hook before any handler runs. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    auth?: AuthNeed;
  }
  interface FastifyInstance {
    hl7Auth?: Authenticator;
  }
}

export type Authenticator = {
  identify(request: FastifyRequest): Identity;
  /** Sets request.principal, or answers 401/403 and returns the reply. */
  check(request: FastifyRequest, reply: FastifyReply, need: AuthNeed): Promise<FastifyReply | undefined>;
};

type AuthConfig = Pick<HttpsConfig, 'apiKeys' | 'clientCerts' | 'openMetrics' | 'openDocs'>;

export function createAuthenticator(config: AuthConfig, log: Logger): Authenticator {
  const identifyCredentials = createIdentify(config);
  const identify = (request: FastifyRequest): Identity =>
    identifyCredentials({ authorization: request.headers.authorization, certSubject: peerCertSubject(request) });
  return {
    identify,
    async check(request, reply, need) {
      const identity = identify(request);
      const role = requiredRole(need, config);
      if (role === null) {
        request.principal = identity.kind === 'known' ? identity.principal : anonymous;
        return undefined;
      }
      const decision = decide(identity, role);
      if (decision.ok) {
        request.principal = decision.principal;
        return undefined;
      }
      log.warn(
        { route: routeOf(request), method: request.method, remote: request.ip, status: decision.status, keyName: decision.keyName, reason: decision.detail },
        'request refused',
      );
      if (decision.status === 401) reply.header('www-authenticate', 'Bearer');
      return sendProblem(reply, decision.status, decision.title, decision.detail);
    },
  };
}

function requiredRole(need: AuthNeed, config: AuthConfig): ApiRole | null {
  switch (need) {
    case 'public':
      return null;
    case 'metrics':
      return config.openMetrics ? null : 'read';
    case 'docs':
      return config.openDocs ? null : 'read';
    default:
      return need;
  }
}

/** Subject of the peer's certificate, only when it was verified against https.tls.caFile. */
export function peerCertSubject(request: FastifyRequest): string | null {
  const socket = request.raw.socket;
  if (!(socket instanceof TLSSocket) || !socket.authorized) return null;
  return formatCertSubject(socket.getPeerCertificate().subject);
}

/** The route pattern (`/api/messages/:id`), never the URL: no query strings in logs. */
export function routeOf(request: FastifyRequest): string {
  return request.is404 ? '(no route)' : request.routeOptions.url ?? '(no route)';
}

export function rateLimitKeyOf(auth: Authenticator, request: FastifyRequest): string {
  return rateLimitKey(auth.identify(request), request.ip);
}

const hookNeeds = new WeakMap<object, AuthNeed>();

/**
 * An onRequest hook for routes a plugin registers without route config (swagger-ui's `uiHooks`).
 * installAuth sees it when the route is added and sets `config.auth` from it, so the global hook
 * decides; on its own (no global hook) it checks by itself.
 */
export function authorizeFor(need: AuthNeed) {
  const hook = async function (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (request.principal !== null) return undefined;
    const auth = request.server.hl7Auth;
    if (auth === undefined) return sendProblem(reply, 500, 'Internal Server Error');
    return auth.check(request, reply, need);
  };
  hookNeeds.set(hook, need);
  return hook;
}

/** Adds the request decoration, the global hook, and the route tagging for authorizeFor. */
export function installAuth(app: FastifyInstance, auth: Authenticator, log: Logger): void {
  app.decorateRequest('principal', null);
  app.decorate('hl7Auth', auth);
  app.addHook('onRoute', tagRoute);
  app.addHook('onRequest', async (request, reply) => {
    if (request.is404) return undefined;
    const need = request.routeOptions.config.auth;
    if (need !== undefined) return auth.check(request, reply, need);
    log.error({ route: routeOf(request), method: request.method }, 'route has no access rule (config.auth): refused');
    return sendProblem(reply, 403, 'Forbidden', 'this route has no access rule');
  });
}

function tagRoute(route: RouteOptions): void {
  if (route.config?.auth !== undefined) return;
  const hooks: unknown[] = Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
  for (const hook of hooks) {
    const need = typeof hook === 'function' ? hookNeeds.get(hook) : undefined;
    if (need !== undefined) {
      route.config = { ...route.config, auth: need };
      return;
    }
  }
}
