import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Ingest } from '../ingest/deps.ts';
import type { ByteBudget } from '../net/byte-budget.ts';
import { peerCertSubject } from './auth.ts';
import { formatHl7ContentType, hl7MediaTypes, parseHl7ContentType } from './content-type.ts';
import { sendProblem } from './problem.ts';
import { problemJsonSchema, zodValidated } from './routes/route-schema.ts';

// POST /hl7: one HL7 v2 message as the body, the ACK as the answer, through the same ingest as
// MLLP. The status follows the cause (decisions.md, src/hl7/errors.ts); every answer ingest
// produced carries the ACK, whatever MSH-15 says. 413 and 415 are problem JSON: no ingest ran.

export type Hl7RouteDeps = { ingest: Ingest; maxMessageBytes: number; budget: ByteBudget };

/** The budget's release for the body of this request (set before the body is read). */
const held = new WeakMap<FastifyRequest, () => void>();

/** How long a sender should wait before retransmitting when the store is down (503). */
export const retryAfterSeconds = 30;

export const hl7Routes: FastifyPluginAsync<Hl7RouteDeps> = async (app, deps) => {
  // Inside this plugin only: every body is read as bytes; the route itself decides what it takes
  // (checked before the body is read), so the charset is applied once, by ingest.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post(
    '/hl7',
    {
      config: { auth: 'ingest' },
      bodyLimit: deps.maxMessageBytes,
      onRequest: refuseOtherContentTypes,
      // The body is counted in the bytes held by both doors before it is read; a request waits while
      // the budget is full (as MLLP connections stop reading), and gives its share back when answered.
      preParsing: async (request, _reply, payload) => {
        const declared = Number(request.headers['content-length']);
        const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, deps.maxMessageBytes) : deps.maxMessageBytes;
        held.set(request, await deps.budget.acquire(bytes, abortSignalOf(request)));
        return payload;
      },
      onResponse: async (request) => held.get(request)?.(),
      onRequestAbort: async (request) => held.get(request)?.(),
      ...zodValidated,
      schema: documentation(deps.maxMessageBytes),
    },
    async (request, reply) => {
      const type = parseHl7ContentType(request.headers['content-type']);
      if (!type.ok) return sendProblem(reply, 415, 'Unsupported Media Type', type.reason);
      const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const outcome = await deps.ingest(
        { kind: 'message', bytes, charset: type.charset },
        {
          transport: 'https',
          remoteAddress: request.socket.remoteAddress ?? null,
          tlsClientSubject: peerCertSubject(request),
          ackMode: 'always',
        },
      );
      if (outcome.httpStatus === 503) reply.header('retry-after', String(retryAfterSeconds));
      // An inbound ACK message is stored and never answered with an ACK: the status says how it went.
      if (outcome.ack === null) {
        if (outcome.httpStatus < 300) return reply.code(204).send();
        return sendProblem(reply, outcome.httpStatus, 'ACK message refused', outcome.issues.map((i) => i.message).join('; '));
      }
      // The statuses are those documented in the schema; typed loosely, the status is computed.
      return (reply as FastifyReply)
        .code(outcome.httpStatus)
        .type(formatHl7ContentType(type.mediaType, outcome.charset))
        .send(outcome.ack);
    },
  );
};

/** Aborted when the client goes away before its answer: a request waiting for budget stops waiting. */
function abortSignalOf(request: FastifyRequest): AbortSignal {
  const controller = new AbortController();
  request.raw.once('close', () => {
    if (!request.raw.complete) controller.abort(new Error('client went away'));
  });
  return controller.signal;
}

/** 415 before the body is read (and after the key was checked: the global hook runs first). */
async function refuseOtherContentTypes(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const type = parseHl7ContentType(request.headers['content-type']);
  return type.ok ? undefined : sendProblem(reply, 415, 'Unsupported Media Type', type.reason);
}

function documentation(maxMessageBytes: number) {
  const ack = (description: string) => ({
    description,
    content: Object.fromEntries(hl7MediaTypes.map((t) => [t, { schema: { type: 'string' } }])),
  });
  return {
    tags: ['hl7'],
    summary: 'Send one HL7 v2 message (ER7); the answer is its ACK',
    description:
      `The body is the message (at most ${maxMessageBytes} bytes). The charset of Content-Type wins, then MSH-18, ` +
      'then UTF-8. The answer is the ACK in the same media type, whatever MSH-15 says.',
    consumes: [...hl7MediaTypes],
    body: { type: 'string', description: 'An HL7 v2 message, segments separated by CR' },
    response: {
      200: ack('AA or CA: stored (or an exact retransmission of a stored message)'),
      204: { description: 'An inbound ACK message (MSH-9.1 = ACK): stored; ACK messages are never answered with an ACK' },
      400: ack('AE/CE (content error, including an MSH-10 already received from this sender with other content) or AR (no readable MSH): not accepted'),
      401: problemJsonSchema,
      403: {
        description: 'A key without the ingest role (problem JSON), or AR: the sender may not claim this MSH-3/MSH-4 (ACK)',
        content: { ...ack('').content, ...problemJsonSchema.content },
      },
      413: problemJsonSchema,
      415: problemJsonSchema,
      422: ack('AR/CR: message type, trigger event, version or processing id not accepted here'),
      503: ack('AR/CR: the message could not be stored now; retransmit after Retry-After seconds'),
    },
  };
}
