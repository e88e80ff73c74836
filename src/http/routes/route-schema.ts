import type { FastifySchemaCompiler, FastifySerializerCompiler } from 'fastify';

// The routes of the operations API declare JSON schemas for the OpenAPI document only: the
// handlers validate with zod (safeParse → problem JSON naming the parameter) and answer with plain
// JSON.stringify. These route options switch off Fastify's own (ajv and fast-json-stringify) use
// of those schemas, so the one declaration that decides is the zod one.

const acceptAll: FastifySchemaCompiler<unknown> = () => () => true;
const plainJson: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

export const zodValidated = { validatorCompiler: acceptAll, serializerCompiler: plainJson } as const;

export const problemJsonSchema = {
  description: 'RFC 9457 problem details',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
        },
        required: ['type', 'title', 'status'],
      },
    },
  },
} as const;
