import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { sessionCookieName } from '../console/sessions.ts';
import { authorizeFor } from './auth.ts';

// The OpenAPI 3 document of every route registered after this (JSON at /docs/json, browsable at
// /docs), built by @fastify/swagger from the routes' schemas. The docs routes come from a plugin
// that cannot take route config: swagger-ui's own routes get authorizeFor('docs') through
// `uiHooks`, and the static files it serves through @fastify/static take no hooks at all, so an
// onRoute hook marks every route under /docs `auth: 'docs'` (public with https.openDocs, else a
// `read` key). A browser sends no key for the static files: browsing /docs needs https.openDocs.

export type OpenApiDeps = { config: { openMetrics: boolean; openDocs: boolean } };

export const docsPrefix = '/docs';
/** How a client presents its key (see src/http/auth.ts). */
export const apiKeyScheme = { type: 'http', scheme: 'bearer', description: 'API key: `Authorization: Bearer <key>`' } as const;
/** The console's session cookie (src/console/sessions.ts), set by POST /api/console/session. */
export const consoleSessionScheme = {
  type: 'apiKey',
  in: 'cookie',
  name: sessionCookieName,
  description: 'console session; a state-changing request also sends its CSRF token as x-csrf-token',
} as const;

export async function registerOpenApi(app: FastifyInstance, deps: OpenApiDeps): Promise<void> {
  app.addHook('onRoute', (route) => {
    const underDocs = route.url === docsPrefix || route.url.startsWith(`${docsPrefix}/`);
    if (underDocs && route.config?.auth === undefined) {
      route.config = { ...route.config, auth: 'docs' };
    }
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'hl7v2-listener',
        description: 'HL7 v2 over HTTPS, and the operations API: stored messages, processing, health, metrics.',
        version: '1',
      },
      tags: [
        { name: 'hl7', description: 'Send HL7 v2 messages' },
        { name: 'messages', description: 'What arrived and what was refused' },
        { name: 'processing', description: 'What the processing engine has done, and reprocess/retry (role operate)' },
        { name: 'console', description: 'What the operations console shows: the overview, a patient timeline' },
        { name: 'health', description: 'Liveness and readiness probes' },
        { name: 'metrics', description: 'Prometheus' },
        { name: 'console', description: 'Signing in to the operations console (/console/)' },
      ],
      components: { securitySchemes: { apiKey: apiKeyScheme, consoleSession: consoleSessionScheme } },
    },
    transform: ({ schema, url, route }) => ({ schema: withSecurity(schema, route, deps.config), url }),
  });
  await app.register(fastifySwaggerUi, { routePrefix: docsPrefix, uiHooks: { onRequest: authorizeFor('docs') } });
}

/** Marks the operations that need a key, from the same route config the auth hook reads. */
function withSecurity(schema: FastifySchema | undefined, route: RouteOptions, config: OpenApiDeps['config']): FastifySchema {
  const base: FastifySchema = schema ?? {};
  const need: unknown = route.config?.auth;
  if (need === 'session') return { ...base, security: [{ consoleSession: [] }] };
  const open = need === 'public' || (need === 'metrics' && config.openMetrics) || (need === 'docs' && config.openDocs);
  return open ? base : { ...base, security: [{ apiKey: [] }] };
}
