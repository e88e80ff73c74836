import type { FastifyError, FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import { createAddressMatcher } from '../net/allow-list.ts';
import { routeOf } from './auth.ts';
import { sendProblem } from './problem.ts';

// Server-wide behaviour of the HTTP door that is not a route: who may connect, how errors are
// answered (problem JSON, RFC 9457), and the one log line per request.

/** https.allow: a peer outside is closed at accept, before any byte is read, and logged. */
export function refuseOutsiders(app: FastifyInstance, allow: readonly string[] | undefined, log: Logger): void {
  if (allow === undefined) return;
  const allowed = createAddressMatcher(allow);
  // The raw TCP socket, before TLS or HTTP have read from it (the 'connection' event of net.Server).
  app.server.on('connection', (socket: import('node:net').Socket) => {
    const remote = socket.remoteAddress ?? '';
    if (allowed(remote)) return;
    log.warn({ remote }, 'connection refused: address not in https.allow');
    socket.destroy();
  });
}

export function installErrorAnswers(app: FastifyInstance, maxMessageBytes: number): void {
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 404, 'Not Found', 'no such route'));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    if (status === 413) {
      request.log.warn({ route: routeOf(request), limit: maxMessageBytes }, 'request body over the size limit');
      return sendProblem(reply, 413, 'Content Too Large', `the body is larger than https.maxMessageBytes (${maxMessageBytes} bytes)`);
    }
    if (status === 503) {
      // A 503 raised by Fastify or a plugin: the sender should come back later.
      reply.header('retry-after', '30');
      return sendProblem(reply, 503, 'Service Unavailable', 'try again later');
    }
    if (status >= 500) {
      request.log.error({ err: { type: err.name, code: err.code, message: err.message }, route: routeOf(request) }, 'request failed');
      return sendProblem(reply, 500, 'Internal Server Error');
    }
    // Fastify's and the rate limiter's texts name limits and parameters, never request content.
    const ours = err.code?.startsWith('FST_') === true || err.validation !== undefined || status === 429;
    return sendProblem(reply, status, STATUS_CODES[status] ?? 'Error', ours ? err.message : undefined);
  });
}

/**
 * One line per request: the route pattern, never the URL (query strings) or headers. Successful
 * health probes (a healthcheck every few seconds) go to debug so they do not drown the log. It is
 * also the audit trail of who looked at what: a message route's line carries the stored row's id
 * (a row number, not PHI), so "who opened message 123" is answered from the log. FHIR ids are
 * not logged: they are digests of patient identifiers, which a small MRN space makes reversible.
 */
export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = routeOf(request);
    const quiet = reply.statusCode === 200 && route.startsWith('/health/');
    request.log[quiet ? 'debug' : 'info'](
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        keyName: request.principal === null || request.principal.via === 'anonymous' ? null : request.principal.name,
        remote: request.ip,
        ...(route.startsWith('/api/messages/:id') ? { messageId: messageIdOf(request.params) } : {}),
      },
      'request',
    );
  });
}

/** The API's answers may hold PHI: no browser or proxy keeps them (the console's static files are cached by ETag). */
export function installNoStore(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const path = request.url;
    if (path.startsWith('/api/') || path === '/fhir' || path.startsWith('/fhir/') || path.startsWith('/fhir?')) reply.header('cache-control', 'no-store');
    return payload;
  });
}

function messageIdOf(params: unknown): string | null {
  const id = typeof params === 'object' && params !== null ? (params as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}
