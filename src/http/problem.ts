import type { FastifyReply } from 'fastify';

// Error answers of the HTTP door as RFC 9457 problem details (application/problem+json).
// `type` is about:blank: the status and title say it all, and no URL needs maintaining.
// `detail` names the option, field or limit; never message content, keys or header values.

export type Problem = { type: string; title: string; status: number; detail?: string };

export const problemContentType = 'application/problem+json; charset=utf-8';

export function problemOf(status: number, title: string, detail?: string): Problem {
  return detail === undefined ? { type: 'about:blank', title, status } : { type: 'about:blank', title, status, detail };
}

export function sendProblem(reply: FastifyReply, status: number, title: string, detail?: string): FastifyReply {
  return reply.code(status).type(problemContentType).send(problemOf(status, title, detail));
}
