import type { FastifyPluginAsync } from 'fastify';
import type { Readiness } from '../health.ts';

// Liveness (the process answers) and readiness (store reachable, both doors listening; 503
// otherwise), for load balancers and orchestrators. No key needed: they reveal no data.

export type HealthRouteDeps = { readiness: () => Promise<Readiness> };

const checkSchema = { type: 'string', enum: ['up', 'down', 'disabled'] } as const;
const processingCheckSchema = {
  type: 'string',
  enum: ['up', 'degraded', 'unknown', 'disabled'],
  description: 'degraded: the oldest waiting event is older than processing.maxLagSeconds (still ready)',
} as const;
const readinessSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    degraded: { type: 'boolean', description: 'ready, but processing is behind' },
    checks: {
      type: 'object',
      properties: { store: checkSchema, mllp: checkSchema, https: checkSchema, processing: processingCheckSchema },
    },
  },
} as const;

export const healthRoutes: FastifyPluginAsync<HealthRouteDeps> = async (app, deps) => {
  app.get(
    '/health/live',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up and answering',
        response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['live'] } } } },
      },
    },
    async () => ({ status: 'live' }),
  );

  app.get(
    '/health/ready',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: the store answers and the MLLP and HTTPS doors are listening (503 otherwise); processing behind: degraded',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const readiness = await deps.readiness();
      // Probes must not cache a stale answer.
      reply.header('cache-control', 'no-store');
      const status = readiness.ready ? 'ready' : 'not ready';
      return reply.code(readiness.ready ? 200 : 503).send({ status, degraded: readiness.degraded, checks: readiness.checks });
    },
  );
};
