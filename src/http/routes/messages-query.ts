import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { processingState, type MessageFilter, type ProcessingState } from '../../store/store.ts';

// The query string of GET /api/messages, declared once with zod: it validates requests and is
// turned into the OpenAPI parameters (z.toJSONSchema). Unknown parameters are refused, so a typo
// (`controlID`) is a 400 rather than a silent list of everything.

export const defaultLimit = 50;
export const maxLimit = 500;

const isoDateTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();

const instant = z
  .string()
  .refine((value) => isoDateTime.safeParse(value).success || isoDate.safeParse(value).success, {
    message: 'expected an ISO 8601 date or date-time with an offset, e.g. 2024-05-01 or 2024-05-01T12:00:00Z',
  })
  .transform((value) => new Date(value));

const text = (description: string) => z.string().min(1).max(250).optional().describe(description);

/** A processing state, or `none`: rows without one (refused, or stored before processing took them in). */
export const processingStateQuery = z
  .enum([...processingState.options, 'none'])
  .optional()
  .describe('received, processing, processed, failed, skipped, or none (no processing state: refused or historical rows)');

/** `none` is the store's null (no processing state). */
export function toProcessingFilter(value: ProcessingState | 'none' | undefined): ProcessingState | null | undefined {
  return value === 'none' ? null : value;
}

/** The filters a list and a retry (POST /api/processing/retry) share. */
export const eventFilterShape = {
  controlId: text('MSH-10, exact'),
  sendingApplication: text('MSH-3, exact'),
  sendingFacility: text('MSH-4, exact'),
  type: text('MSH-9.1 message type, e.g. ADT'),
  event: text('MSH-9.2 trigger event, e.g. A01'),
  patientId: text('PID-3.1 of the first repetition, exact'),
  transport: z.enum(['mllp', 'https']).optional(),
  from: instant.optional().describe('received at or after (ISO 8601, inclusive)'),
  to: instant.optional().describe('received before (ISO 8601, exclusive)'),
};

/** from < to, when both are given. */
export const rangeInOrder: [(q: { from?: Date | undefined; to?: Date | undefined }) => boolean, { message: string; path: string[] }] = [
  (q) => q.from === undefined || q.to === undefined || q.from < q.to,
  { message: 'must be later than from', path: ['to'] },
];

export const listQuerySchema = z
  .object({
    ...eventFilterShape,
    status: z.enum(['received', 'rejected']).optional().describe('received (accepted) or rejected (refused)'),
    processingState: processingStateQuery,
    limit: z.coerce.number().int().min(1).max(maxLimit).default(defaultLimit).describe(`page size, at most ${maxLimit}`),
    order: z.enum(['newest', 'oldest']).default('newest').describe('by receipt time: newest first (default) or oldest first'),
    cursor: z.string().min(1).max(200).optional().describe('nextCursor of the previous page (in the same order)'),
  })
  .strict()
  .refine(...rangeInOrder);

export type ListQuery = z.infer<typeof listQuerySchema>;

export const idParamsSchema = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict();

export const detailQuerySchema = z
  .object({ format: z.enum(['json', 'raw']).default('json').describe('raw: the exact stored bytes') })
  .strict();

/** The first problem as `parameter: reason`; zod messages name the rule, never the value sent. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid query';
  if (issue.code === 'unrecognized_keys') return `${issue.keys.join(', ')}: unknown parameter`;
  const name = issue.path.map(String).join('.');
  return name === '' ? issue.message : `${name}: ${issue.message}`;
}

/** A row's place in a list, and which order the list was in (a cursor only pages the order it came from). */
export type Position = { receivedAt: Date; id: number; oldestFirst: boolean };

// A cursor is opaque to clients: base64url of an HMAC-SHA-256 tag (truncated) and
// `<receivedAt ISO>_<id>` (`_asc` appended when oldest first), the keyset position of a row. The tag is keyed (per process by default,
// `https.cursorKey` to share one between instances behind a load balancer), so a changed, truncated or
// forged cursor is refused (400) instead of paging from a position the service never handed out. It
// guards integrity only: any cursor could select nothing but rows the caller may read anyway.
const tagBytes = 12;

export type CursorCodec = {
  encode(position: Position): string;
  /** null for anything this codec did not produce (tampered, truncated, other key, not a cursor). */
  decode(cursor: string): Position | null;
};

/** `key`: at least 32 random bytes; a fresh one per process when the config sets none. */
export function createCursorCodec(key: Buffer = randomBytes(32)): CursorCodec {
  const tagOf = (text: string): Buffer => createHmac('sha256', key).update(text).digest().subarray(0, tagBytes);

  function encode(position: Position): string {
    const text = `${position.receivedAt.toISOString()}_${position.id}${position.oldestFirst ? '_asc' : ''}`;
    return Buffer.concat([tagOf(text), Buffer.from(text, 'latin1')]).toString('base64url');
  }

  function decode(cursor: string): Position | null {
    const bytes = Buffer.from(cursor, 'base64url');
    if (bytes.length <= tagBytes) return null;
    const text = bytes.subarray(tagBytes).toString('latin1');
    if (!timingSafeEqual(tagOf(text), bytes.subarray(0, tagBytes))) return null;
    const position = parsePosition(text);
    // Only the exact text we would have produced: base64url admits other spellings of the same bytes.
    return position !== null && encode(position) === cursor ? position : null;
  }

  return { encode, decode };
}

function parsePosition(text: string): Position | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([1-9]\d{0,15})(_asc)?$/.exec(text);
  if (match === null) return null;
  const receivedAt = new Date(match[1] ?? '');
  const id = Number(match[2]);
  return Number.isNaN(receivedAt.getTime()) || !Number.isSafeInteger(id) ? null : { receivedAt, id, oldestFirst: match[3] !== undefined };
}

/** The store filter for one page; one row more than the page tells whether another page follows. */
export function toFilter(query: ListQuery, after: Position | null): MessageFilter {
  const filter: MessageFilter = {
    controlId: query.controlId,
    sendingApplication: query.sendingApplication,
    sendingFacility: query.sendingFacility,
    messageType: query.type,
    triggerEvent: query.event,
    patientId: query.patientId,
    status: query.status,
    transport: query.transport,
    processingState: toProcessingFilter(query.processingState),
    from: query.from,
    to: query.to,
    limit: query.limit + 1,
  };
  if (query.order === 'oldest') filter.oldestFirst = true;
  if (after !== null) filter.after = { receivedAt: after.receivedAt, id: after.id };
  // Absent keys, not `undefined` values: a store may check `key in filter`.
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
}
