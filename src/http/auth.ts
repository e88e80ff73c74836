import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { ApiRole, HttpsConfig } from '../config/schema.ts';
import type { SessionClaims } from '../console/session.ts';
import type { ConsoleSessions } from '../console/sessions.ts';
import { formatCertSubject } from '../net/cert-subject.ts';
import { csrfRefusal, isCrossSite, safeMethods } from './csrf.ts';
import { backgroundHeader } from '../console/headers.ts';
import { anonymous, createIdentify, decide, rateLimitKey, type Identity, type Principal, type SessionCredential } from './identity.ts';
import { sendProblem } from './problem.ts';

// Fail-closed access control for every route: an onRequest hook reads the route's
// `config.auth`. A route without one is refused (only unknown URLs pass, to answer 404).
// Refusals are logged with the key's name, never the key or any header.
//
// Credentials, strongest first: an Authorization header always decides; else a listed client
// certificate; else the console's session cookie. A request the cookie authorises and that changes
// state (not GET/HEAD/OPTIONS) must carry the session's CSRF token in x-csrf-token and, when the
// browser sends Sec-Fetch-Site, come from the same origin. A Bearer key needs neither: a cross-site
// page cannot set that header without a CORS preflight, and this service answers none.

export type { Principal } from './identity.ts';

/**
 * `metrics` and `docs` are public with https.openMetrics / https.openDocs, else they need `read`;
 * `fhir`: the FHIR API (`read` holds it); `session`: a console session, whatever its roles.
 */
export type AuthNeed = 'public' | 'ingest' | 'read' | 'operate' | 'fhir' | 'metrics' | 'docs' | 'session';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; set by the auth hook before any handler runs. */
    principal: Principal | null;
    /** The console session that authorised the request, if the cookie did. */
    consoleSession: SessionClaims | null;
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

type Resolved = { identity: Identity; session: SessionClaims | null };

/** `sessions`: the console's, or null when the console is off (a session cookie then counts for nothing). */
export function createAuthenticator(config: AuthConfig, log: Logger, sessions: ConsoleSessions | null = null): Authenticator {
  const identifyCredentials = createIdentify(config);
  // Asked twice per request (the rate limiter's key, then the auth hook): decided once.
  const resolved = new WeakMap<FastifyRequest, Resolved>();
  const resolve = (request: FastifyRequest): Resolved => {
    let found = resolved.get(request);
    if (found === undefined) {
      const authorization = request.headers.authorization;
      const check = authorization === undefined && sessions !== null ? sessions.read(request.headers.cookie) : null;
      const session: SessionCredential = check === null ? null : check.ok ? { name: check.claims.name, via: check.claims.via } : 'invalid';
      const identity = identifyCredentials({ authorization, certSubject: peerCertSubject(request), session });
      const bySession = identity.kind === 'known' && identity.principal.via === 'session';
      found = { identity, session: bySession && check?.ok === true ? check.claims : null };
      resolved.set(request, found);
    }
    return found;
  };
  const refuse = (request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply => {
    log.warn(
      { route: routeOf(request), method: request.method, remote: request.ip, status: refusal.status, keyName: refusal.keyName, reason: refusal.detail },
      'request refused',
    );
    if (refusal.status === 401) reply.header('www-authenticate', 'Bearer');
    return sendProblem(reply, refusal.status, refusal.title, refusal.detail);
  };
  return {
    identify: (request) => resolve(request).identity,
    async check(request, reply, need) {
      const { identity, session } = resolve(request);
      const role = need === 'session' ? 'session' : requiredRole(need, config);
      if (role === null) {
        // Public: nothing is authorised by the cookie, so no CSRF check either.
        request.principal = principalOf(identity);
        return undefined;
      }
      if (role === 'session' && (session === null || identity.kind !== 'known')) {
        const detail = identity.kind === 'ended-session' ? 'the console session has ended or is not valid: sign in again' : 'no console session: sign in first';
        return refuse(request, reply, { status: 401, title: 'Unauthorized', keyName: null, detail });
      }
      if (session !== null && sessions !== null) {
        const refusal = csrfRefusal(request, (token) => sessions.isCsrfTokenRight(session, token));
        if (refusal !== null) return refuse(request, reply, { status: 403, title: 'Forbidden', keyName: session.name, detail: refusal });
      }
      if (identity.kind === 'known' && identity.principal.via === 'cert' && !safeMethods.has(request.method) && isCrossSite(request)) {
        // A browser holding a listed certificate presents it to any page's request, as it does a cookie.
        const detail = 'a client certificate authorises no state-changing request made by another site (Sec-Fetch-Site)';
        return refuse(request, reply, { status: 403, title: 'Forbidden', keyName: identity.principal.name, detail });
      }
      const decision = role === 'session' ? { ok: true as const, principal: principalOf(identity) } : decide(identity, role);
      if (!decision.ok) return refuse(request, reply, decision);
      request.principal = decision.principal;
      if (session !== null && sessions !== null) {
        // `seen` moves forward at most once a minute: a new cookie, same session.
        // A page's timed refresh says so (x-console-background): it does not count as use, so an
        // overview left open still reaches the idle expiry.
        const renewal = request.headers[backgroundHeader] === '1' ? null : sessions.renewal(session);
        request.consoleSession = renewal?.claims ?? session;
        if (renewal !== null) reply.header('set-cookie', renewal.setCookie);
      }
      return undefined;
    },
  };
}

function principalOf(identity: Identity): Principal {
  return identity.kind === 'known' ? identity.principal : anonymous;
}

type Refusal = { status: 401 | 403; title: string; detail: string; keyName: string | null };

function requiredRole(need: Exclude<AuthNeed, 'session'>, config: AuthConfig): ApiRole | null {
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
  app.decorateRequest('consoleSession', null);
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
