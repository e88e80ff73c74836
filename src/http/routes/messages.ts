import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { StoreUnavailableError, type Store } from '../../store/store.ts';
import { sendProblem } from '../problem.ts';
import {
  createCursorCodec,
  describeIssue,
  detailQuerySchema,
  idParamsSchema,
  type CursorCodec,
  listQuerySchema,
  toFilter,
} from './messages-query.ts';
import { messageDetailSchema, messagePageSchema, toDetail, toItem, type MessageDetail, type MessagePage } from './messages-view.ts';
import { problemJsonSchema, zodValidated } from './route-schema.ts';

// GET /api/messages (search, newest first, keyset pages) and GET /api/messages/:id (one message).
// Read-only; both need a key with the `read` role.

/** `cursorKey`: shared by every instance behind one load balancer; absent: a fresh key per process. */
export type MessagesRouteDeps = { store: Store; cursorKey?: Buffer | undefined };

export const rawContentType = 'application/hl7-v2';
const retryAfterSeconds = 30;

export const messagesRoutes: FastifyPluginAsync<MessagesRouteDeps> = async (app, deps) => {
  const cursors = createCursorCodec(deps.cursorKey);
  app.get('/api/messages', { config: { auth: 'read' }, ...zodValidated, schema: listSchema }, (request, reply) =>
    listMessages(deps.store, cursors, request.query, reply),
  );
  app.get('/api/messages/:id', { config: { auth: 'read' }, ...zodValidated, schema: detailSchema }, (request, reply) =>
    showMessage(deps.store, request.params, request.query, reply),
  );
};

async function listMessages(store: Store, cursors: CursorCodec, rawQuery: unknown, reply: FastifyReply): Promise<MessagePage | FastifyReply> {
  const query = listQuerySchema.safeParse(rawQuery);
  if (!query.success) return badRequest(reply, describeIssue(query.error));
  const after = query.data.cursor === undefined ? null : cursors.decode(query.data.cursor);
  if (query.data.cursor !== undefined && after === null) {
    return badRequest(reply, 'cursor: not a cursor from this service (use nextCursor as given; a cursor ends with a restart unless https.cursorKey is set)');
  }
  const oldestFirst = query.data.order === 'oldest';
  if (after !== null && after.oldestFirst !== oldestFirst) {
    return badRequest(reply, `cursor: it pages the list in the other order; send order=${after.oldestFirst ? 'oldest' : 'newest'} with it, or start again without a cursor`);
  }
  // One row more than the page tells whether another page follows (no empty last page).
  const rows = await orUnavailable(reply, () => store.listMessages(toFilter(query.data, after)));
  if (rows === unavailable) return reply;
  const page = rows.slice(0, query.data.limit);
  const body: MessagePage = { items: page.map(toItem) };
  const last = page.at(-1);
  if (rows.length > query.data.limit && last !== undefined) body.nextCursor = cursors.encode({ receivedAt: last.receivedAt, id: last.id, oldestFirst });
  return body;
}

async function showMessage(store: Store, rawParams: unknown, rawQuery: unknown, reply: FastifyReply): Promise<MessageDetail | FastifyReply> {
  const params = idParamsSchema.safeParse(rawParams);
  if (!params.success) return badRequest(reply, describeIssue(params.error));
  const query = detailQuerySchema.safeParse(rawQuery);
  if (!query.success) return badRequest(reply, describeIssue(query.error));
  const row = await orUnavailable(reply, () => store.getMessage(params.data.id));
  if (row === unavailable) return reply;
  if (row === null) return sendProblem(reply, 404, 'Not Found', `no message with id ${params.data.id}`);
  if (query.data.format === 'raw') {
    const type = row.charset === null ? rawContentType : `${rawContentType}; charset=${row.charset}`;
    return reply.type(type).send(row.raw);
  }
  return toDetail(row);
}

const listSchema = {
  tags: ['messages'],
  summary: 'Search stored messages (metadata only), newest first or oldest first',
  querystring: z.toJSONSchema(listQuerySchema, { io: 'input', target: 'openapi-3.0' }),
  response: { 200: openApi(messagePageSchema), 400: problemJsonSchema, 503: problemJsonSchema },
};

const detailSchema = {
  tags: ['messages'],
  summary: 'One message: metadata, decoded segments and the ACK sent; ?format=raw for the exact stored bytes',
  params: z.toJSONSchema(idParamsSchema, { io: 'input', target: 'openapi-3.0' }),
  querystring: z.toJSONSchema(detailQuerySchema, { io: 'input', target: 'openapi-3.0' }),
  response: {
    200: {
      description: 'JSON by default; with format=raw, the stored bytes as application/hl7-v2',
      content: {
        'application/json': { schema: openApi(messageDetailSchema) },
        [rawContentType]: { schema: { type: 'string', format: 'binary' } },
      },
    },
    400: problemJsonSchema,
    404: problemJsonSchema,
    503: problemJsonSchema,
  },
};

export const unavailable = Symbol('store unavailable');

/** A store that cannot be reached is a 503 with Retry-After (come back later), not a 500. */
export async function orUnavailable<T>(reply: FastifyReply, read: () => Promise<T>): Promise<T | typeof unavailable> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    reply.header('retry-after', String(retryAfterSeconds));
    sendProblem(reply, 503, 'Service Unavailable', 'the message store cannot be reached now; try again later');
    return unavailable;
  }
}

export function openApi(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0' });
}

export function badRequest(reply: FastifyReply, detail: string): FastifyReply {
  return sendProblem(reply, 400, 'Bad Request', detail);
}
