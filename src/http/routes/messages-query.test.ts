import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createCursorCodec, describeIssue, listQuerySchema, toFilter } from './messages-query.ts';

describe('list query', () => {
  it('defaults the limit to 50 and maps type/event to the store filter', () => {
    const query = listQuerySchema.parse({ type: 'ADT', event: 'A01', patientId: 'P1' });
    expect(toFilter(query, null)).toEqual({ messageType: 'ADT', triggerEvent: 'A01', patientId: 'P1', limit: 51 });
  });

  it.each([
    ['failed', 'failed'],
    ['received', 'received'],
    ['none', null],
  ] as const)('maps processingState=%s to the store filter %j', (value, expected) => {
    const query = listQuerySchema.parse({ processingState: value });
    expect(toFilter(query, null)).toEqual({ processingState: expected, limit: 51 });
  });

  it('reads from/to as ISO 8601 dates or date-times', () => {
    const query = listQuerySchema.parse({ from: '2024-05-01', to: '2024-05-01T12:00:00+02:00', limit: '500' });
    expect(query.from?.toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(query.to?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(query.limit).toBe(500);
  });

  it.each([
    [{ limit: '501' }, /^limit: /],
    [{ limit: '0' }, /^limit: /],
    [{ limit: 'ten' }, /^limit: /],
    [{ limit: '2.5' }, /^limit: /],
    [{ status: 'accepted' }, /^status: /],
    [{ transport: 'ftp' }, /^transport: /],
    [{ processingState: 'done' }, /^processingState: /],
    [{ processingState: '' }, /^processingState: /],
    [{ from: 'yesterday' }, /^from: expected an ISO 8601/],
    [{ from: '2024-05-01T12:00:00' }, /^from: /],
    [{ from: '2024-05-02', to: '2024-05-01' }, /^to: must be later than from/],
    [{ controlId: '' }, /^controlId: /],
    [{ controlID: 'X' }, /^controlID: unknown parameter/],
    [{ type: ['ADT', 'ORU'] }, /^type: /],
  ])('refuses %j naming the parameter', (input, detail) => {
    const parsed = listQuerySchema.safeParse(input);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeIssue(parsed.error)).toMatch(detail);
  });
});

describe('cursor', () => {
  const position = { receivedAt: new Date('2024-05-01T10:00:00.123Z'), id: 42, oldestFirst: false };
  const codec = createCursorCodec();
  const text = '2024-05-01T10:00:00.123Z_42';

  it('round-trips a position and is opaque (url-safe, no readable date)', () => {
    const cursor = codec.encode(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('2024');
    expect(codec.decode(cursor)).toEqual(position);
  });

  it('keeps the order the list was in (a cursor pages only that order)', () => {
    const oldest = { ...position, oldestFirst: true };
    expect(codec.decode(codec.encode(oldest))).toEqual(oldest);
    expect(codec.encode(oldest)).not.toBe(codec.encode(position));
  });

  it('shares cursors between codecs with the same key (instances behind a load balancer)', () => {
    const key = Buffer.alloc(32, 7);
    expect(createCursorCodec(key).decode(createCursorCodec(Buffer.from(key)).encode(position))).toEqual(position);
  });

  // An unkeyed digest can be recomputed by anyone: the check must depend on a key the client lacks.
  const bareHash = (check: number) =>
    Buffer.concat([createHash('sha256').update(`cursor:${text}`).digest().subarray(0, check), Buffer.from(text)]).toString('base64url');

  it.each([
    ['garbage', 'not-a-cursor'],
    ['empty after decoding', '____'],
    ['a changed character', codec.encode(position).replace(/^./, (c) => (c === 'M' ? 'N' : 'M'))],
    ['truncated', codec.encode(position).slice(0, -3)],
    ['another spelling of the same bytes', `${codec.encode(position)}=`],
    ['the position alone, without its check', Buffer.from(text).toString('base64url')],
    ['a position with a recomputed bare SHA-256 check (6 bytes)', bareHash(6)],
    ['a position with a recomputed bare SHA-256 check (12 bytes)', bareHash(12)],
    ['a cursor from another process (another key)', createCursorCodec().encode(position)],
  ])('rejects %s', (_name, cursor) => {
    expect(codec.decode(cursor)).toBeNull();
  });
});
