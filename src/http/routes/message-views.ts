import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { messageResourcesSchema, messageTreeSchema, type MessageResources, type MessageTree } from '../../console/api.ts';
import { buildMessageTree } from '../../console/message-tree.ts';
import type { FhirStore } from '../../fhir/store/fhir-store.ts';
import { decodeMessage } from '../../hl7/charset.ts';
import type { Store, StoredMessage } from '../../store/store.ts';
import { sendProblem } from '../problem.ts';
import { describeIssue, idParamsSchema } from './messages-query.ts';
import { badRequest, openApi, orUnavailable, unavailable } from './messages.ts';
import { problemJsonSchema, zodValidated } from './route-schema.ts';

// More views of one stored message, for the operations console (role read):
//   GET /api/messages/:id/tree   the segments, fields, repetitions and components, with v2.5.1 names
//   GET /api/messages/:id/raw    the exact bytes as received, as a download
//   GET /api/messages/:id/fhir   the FHIR resource versions its processing wrote
// (Cache-Control: no-store, as every /api answer: server-hooks.ts installNoStore.)

export type MessageViewDeps = { store: Store; fhir?: FhirStore | undefined };

/** The ER7 (pipe and hat) encoding's media type, as HL7 tools name it for files. */
export const er7ContentType = 'x-application/hl7-v2+er7';

export const messageViewRoutes: FastifyPluginAsync<MessageViewDeps> = async (app, deps) => {
  const route = { config: { auth: 'read' as const }, ...zodValidated };
  app.get('/api/messages/:id/tree', { ...route, schema: treeSchema }, async (request, reply) => {
    const row = await findMessage(deps.store, request.params, reply);
    return row === null ? reply : treeOf(row);
  });
  app.get('/api/messages/:id/raw', { ...route, schema: rawSchema }, async (request, reply) => {
    const row = await findMessage(deps.store, request.params, reply);
    if (row === null) return reply;
    return reply
      .type(row.charset === null ? er7ContentType : `${er7ContentType}; charset=${row.charset}`)
      .header('content-disposition', `attachment; filename="message-${row.id}.hl7"`)
      .send(row.raw);
  });
  app.get('/api/messages/:id/fhir', { ...route, schema: fhirSchema }, async (request, reply): Promise<MessageResources | FastifyReply> => {
    const row = await findMessage(deps.store, request.params, reply);
    if (row === null) return reply;
    const fhir = deps.fhir;
    if (fhir === undefined) return { id: row.id, resources: [] };
    const written = await orUnavailable(reply, () => fhir.writtenBy([row.id]));
    if (written === unavailable) return reply;
    return { id: row.id, resources: written.map(({ messageId: _m, ...resource }) => resource) };
  });
};

/** The row, or null once a 400, 404 or 503 has been sent. */
async function findMessage(store: Store, rawParams: unknown, reply: FastifyReply): Promise<StoredMessage | null> {
  const params = idParamsSchema.safeParse(rawParams);
  if (!params.success) {
    badRequest(reply, describeIssue(params.error));
    return null;
  }
  const row = await orUnavailable(reply, () => store.getMessage(params.data.id));
  if (row === unavailable) return null;
  if (row === null) sendProblem(reply, 404, 'Not Found', `no message with id ${params.data.id}`);
  return row;
}

function treeOf(row: StoredMessage): MessageTree {
  // With the charset recorded at receipt, so the text reads as it did then; UTF-8 when none was.
  return buildMessageTree(row.id, decodeMessage(row.raw, row.charset ?? '', 'UTF-8').text);
}

const params = z.toJSONSchema(idParamsSchema, { io: 'input', target: 'openapi-3.0' });
const refusals = { 400: problemJsonSchema, 404: problemJsonSchema, 503: problemJsonSchema };

const treeSchema = {
  tags: ['messages'],
  summary: 'One message as a tree: segments, non-empty fields, repetitions, components and subcomponents, with HL7 v2.5.1 names',
  params,
  response: { 200: openApi(messageTreeSchema), ...refusals },
};

const rawSchema = {
  tags: ['messages'],
  summary: 'The exact bytes of one message as received, as a download (message-<id>.hl7)',
  params,
  response: {
    200: { description: 'the stored bytes; charset= when one was recorded', content: { [er7ContentType]: { schema: { type: 'string', format: 'binary' } } } },
    ...refusals,
  },
};

const fhirSchema = {
  tags: ['messages'],
  summary: "The FHIR resource versions this message's processing wrote (none when it wrote none, or before it was processed)",
  params,
  response: { 200: openApi(messageResourcesSchema), ...refusals },
};
