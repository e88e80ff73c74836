import type { FastifyPluginAsync } from 'fastify';
import type { Metrics } from '../../metrics/metrics.ts';

// GET /metrics in the Prometheus text format. Needs a `read` key unless https.openMetrics.

export type MetricsRouteDeps = { metrics: Metrics };

export const metricsRoutes: FastifyPluginAsync<MetricsRouteDeps> = async (app, deps) => {
  app.get(
    '/metrics',
    {
      config: { auth: 'metrics' },
      schema: {
        tags: ['metrics'],
        summary: 'Prometheus metrics (text exposition format)',
        response: {
          200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    async (_request, reply) => {
      const { contentType, body } = await deps.metrics.render();
      return reply.header('cache-control', 'no-store').type(contentType).send(body);
    },
  );
};
