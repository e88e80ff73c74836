import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ProcessingConfig } from '../../config/schema.ts';
import type { ProcessingControl, ProcessingStats } from '../../processing/control.ts';
import { processingState } from '../../store/store.ts';
import { sendProblem } from '../problem.ts';
import { describeIssue, eventFilterShape, idParamsSchema, rangeInOrder } from './messages-query.ts';
import { badRequest, openApi, orUnavailable, unavailable } from './messages.ts';
import { problemJsonSchema, zodValidated } from './route-schema.ts';

// The operator's view of processing (GET /api/processing, role read) and its two controls (role
// operate): reprocess one event, retry failed events matching the list filters. The controls are
// plain UPDATEs (src/processing/control.ts); the engine takes the events again in their lane's order.

export type ProcessingRouteDeps = {
  config: Pick<ProcessingConfig, 'enabled' | 'ordering' | 'onFailure' | 'maxLagSeconds'>;
  /** null when the store has no handle (test doubles): the routes answer 503. */
  control: ProcessingControl | null;
  clock: () => Date;
  /** After events were put back to `received`: this instance's engine gives them a lane and looks at once (in the background). */
  afterReset?: () => void;
};

export const retryBodySchema = z
  .object({
    ...eventFilterShape,
    processingState: z
      .enum(['failed', 'none'])
      .default('failed')
      .describe('failed (default), or none: accepted rows stored before processing existed, to take them in'),
  })
  .strict()
  .refine(...rangeInOrder);

const laneSchema = z.object({
  orderingKey: z.string().describe('an opaque lane label (a digest, never a patient identifier)'),
  failedId: z.number().int().describe('the failed event holding the lane back'),
  waiting: z.number().int().describe('events of the lane waiting behind it'),
});

export const processingViewSchema = z.object({
  enabled: z.boolean().describe('false: events are stored and ACKed only (processing.enabled)'),
  ordering: z.enum(['sequential', 'per-patient', 'per-sender', 'parallel']),
  onFailure: z.enum(['block', 'skip']),
  counts: z.record(processingState, z.number().int()).describe('events by processing state'),
  oldestWaiting: z
    .object({ id: z.number().int(), receivedAt: z.string(), ageSeconds: z.number() })
    .nullable()
    .describe('the first event still received or processing; null when nothing waits'),
  lagging: z.boolean().describe('oldestWaiting is older than processing.maxLagSeconds (/health/ready: degraded)'),
  blocked: z.object({ count: z.number().int(), lanes: z.array(laneSchema).describe('at most 100, oldest block first') }),
});

export type ProcessingView = z.infer<typeof processingViewSchema>;

export const processingRoutes: FastifyPluginAsync<ProcessingRouteDeps> = async (app, deps) => {
  app.get('/api/processing', { config: { auth: 'read' }, ...zodValidated, schema: viewSchema }, (_request, reply) => showProcessing(deps, reply));
  app.post('/api/messages/:id/reprocess', { config: { auth: 'operate' }, ...zodValidated, schema: reprocessSchema }, (request, reply) =>
    reprocess(deps, request.params, reply),
  );
  app.post('/api/processing/retry', { config: { auth: 'operate' }, ...zodValidated, schema: retrySchema }, (request, reply) =>
    retry(deps, request.body, reply),
  );
};

async function showProcessing(deps: ProcessingRouteDeps, reply: FastifyReply): Promise<ProcessingView | FastifyReply> {
  const control = deps.control;
  if (control === null) return noControl(reply);
  const now = deps.clock();
  const stats = await orUnavailable(reply, () => control.stats(now, 'all'));
  if (stats === unavailable) return reply;
  return toView(deps.config, stats);
}

export function toView(config: ProcessingRouteDeps['config'], stats: ProcessingStats): ProcessingView {
  const oldest = stats.oldestWaiting;
  return {
    enabled: config.enabled,
    ordering: config.ordering,
    onFailure: config.onFailure,
    counts: { received: 0, processing: 0, processed: 0, failed: 0, skipped: 0, ...stats.counts },
    oldestWaiting: oldest === null ? null : { id: oldest.id, receivedAt: oldest.receivedAt.toISOString(), ageSeconds: oldest.ageSeconds },
    lagging: oldest !== null && oldest.ageSeconds > config.maxLagSeconds,
    blocked: stats.blocked,
  };
}

async function reprocess(deps: ProcessingRouteDeps, rawParams: unknown, reply: FastifyReply): Promise<FastifyReply> {
  const params = idParamsSchema.safeParse(rawParams);
  if (!params.success) return badRequest(reply, describeIssue(params.error));
  const control = controlOf(deps, reply);
  if (control === null) return reply;
  const id = params.data.id;
  const result = await orUnavailable(reply, () => control.reprocess(id));
  if (result === unavailable) return reply;
  switch (result.outcome) {
    case 'queued':
      deps.afterReset?.();
      return reply.code(202).send({ id, processingState: 'received' });
    case 'not-found':
      return sendProblem(reply, 404, 'Not Found', `no accepted message with id ${id} (refused messages are never processed)`);
    case 'not-final':
      return sendProblem(reply, 409, 'Conflict', `message ${id} is ${result.state}: it has not reached a final state; it will be processed as it is`);
  }
}

async function retry(deps: ProcessingRouteDeps, rawBody: unknown, reply: FastifyReply): Promise<FastifyReply | { retried: number }> {
  // No body, or an empty one, retries every failed event.
  const body = retryBodySchema.safeParse(rawBody ?? {});
  if (!body.success) return badRequest(reply, describeIssue(body.error));
  const control = controlOf(deps, reply);
  if (control === null) return reply;
  const { type, event, processingState: state, ...rest } = body.data;
  const filter = { ...rest, messageType: type, triggerEvent: event, processingState: state === 'none' ? null : ('failed' as const) };
  const defined = Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
  const retried = await orUnavailable(reply, () => control.retry(defined));
  if (retried === unavailable) return reply;
  if (retried > 0) deps.afterReset?.();
  return { retried };
}

/** The controls need processing on: with it off, a reset event would only wait. */
function controlOf(deps: ProcessingRouteDeps, reply: FastifyReply): ProcessingControl | null {
  if (!deps.config.enabled) {
    sendProblem(reply, 409, 'Conflict', 'processing is disabled (processing.enabled: false): nothing would process the events; enable it first');
    return null;
  }
  if (deps.control === null) noControl(reply);
  return deps.control;
}

function noControl(reply: FastifyReply): FastifyReply {
  return sendProblem(reply, 503, 'Service Unavailable', 'processing state is not available from this store');
}

const viewSchema = {
  tags: ['processing'],
  summary: 'Processing at a glance: events by state, the oldest waiting event, lanes blocked by a failed event',
  response: { 200: openApi(processingViewSchema), 503: problemJsonSchema },
};

const reprocessSchema = {
  tags: ['processing'],
  summary: 'Process one event again (a processed, failed or skipped one); it waits for its lane like a new event',
  params: z.toJSONSchema(idParamsSchema, { io: 'input', target: 'openapi-3.0' }),
  response: {
    202: openApi(z.object({ id: z.number().int(), processingState: z.literal('received') })),
    400: problemJsonSchema,
    404: problemJsonSchema,
    409: problemJsonSchema,
    503: problemJsonSchema,
  },
};

const retrySchema = {
  tags: ['processing'],
  summary: 'Retry the failed events matching the list filters (all failed events when the body is empty)',
  body: z.toJSONSchema(retryBodySchema, { io: 'input', target: 'openapi-3.0' }),
  response: {
    200: openApi(z.object({ retried: z.number().int().describe('events set back to received') })),
    400: problemJsonSchema,
    409: problemJsonSchema,
    503: problemJsonSchema,
  },
};
