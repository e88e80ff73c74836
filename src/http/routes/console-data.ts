import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { overviewViewSchema, patientTimelineSchema, type OverviewView, type PatientTimeline } from '../../console/api.ts';
import type { FhirStore } from '../../fhir/store/fhir-store.ts';
import { sendProblem } from '../problem.ts';
import { describeIssue } from './messages-query.ts';
import { badRequest, openApi, orUnavailable, unavailable } from './messages.ts';
import { problemJsonSchema, zodValidated } from './route-schema.ts';

// The operations console's own reads (role read; shapes in src/console/api.ts):
//   GET /api/console/overview                 rates and gauges of the last hour, from memory
//   GET /api/console/patients/:id/timeline    the messages that built a patient's FHIR view

export type ConsoleDataDeps = {
  /** The sampler's current view (src/console/overview-sampler.ts). */
  overview: () => OverviewView;
  fhir?: FhirStore | undefined;
};

/** At most this many messages in a timeline (the newest). */
export const timelineLimit = 200;

const patientParamsSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'a FHIR id: letters, digits, "-" and ".", at most 64').describe('the FHIR Patient id'),
});

export const consoleDataRoutes: FastifyPluginAsync<ConsoleDataDeps> = async (app, deps) => {
  const route = { config: { auth: 'read' as const }, ...zodValidated };
  app.get('/api/console/overview', { ...route, schema: overviewSchema }, (_request, reply) => {
    return deps.overview();
  });
  app.get('/api/console/patients/:id/timeline', { ...route, schema: timelineSchema }, (request, reply) => timeline(deps.fhir, request.params, reply));
};

async function timeline(fhir: FhirStore | undefined, rawParams: unknown, reply: FastifyReply): Promise<PatientTimeline | FastifyReply> {
  const params = patientParamsSchema.safeParse(rawParams);
  if (!params.success) return badRequest(reply, describeIssue(params.error));
  const id = params.data.id;
  if (fhir === undefined) return sendProblem(reply, 404, 'Not Found', `no Patient with id ${id}`);
  const found = await orUnavailable(reply, async () => {
    const patient = await fhir.read('Patient', id);
    if (patient === null) return null;
    // The patients merged into this one wrote its history too.
    return fhir.timeline(await fhir.withMerged(id), timelineLimit);
  });
  if (found === unavailable) return reply;
  if (found === null) return sendProblem(reply, 404, 'Not Found', `no Patient with id ${id}`);
  return {
    patientId: id,
    events: found.map((m) => ({
      messageId: m.messageId,
      receivedAt: m.receivedAt.toISOString(),
      type: m.messageType,
      event: m.triggerEvent,
      ackCode: m.ackCode,
      processingState: m.processingState,
      resources: m.resources,
    })),
  };
}

const overviewSchema = {
  tags: ['console'],
  summary: 'The last hour in 5-second samples: messages per second (by type, by ACK code), refusals, connections, processing; from memory',
  response: { 200: openApi(overviewViewSchema) },
};

const timelineSchema = {
  tags: ['console'],
  summary: `The messages (newest ${timelineLimit}) whose processing wrote versions of a patient, of patients merged into it, and of the resources in their compartments`,
  params: z.toJSONSchema(patientParamsSchema, { io: 'input', target: 'openapi-3.0' }),
  response: { 200: openApi(patientTimelineSchema), 400: problemJsonSchema, 404: problemJsonSchema, 503: problemJsonSchema },
};
