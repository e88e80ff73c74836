import { describe, expect, it } from 'vitest';
import type { ErrorCode } from '../hl7/errors.ts';
import { httpStatusOf, type IngestResult } from './outcome.ts';

// The HTTP status ingest hands the HTTPS door. The catalogue's status per code is pinned in
// src/hl7/errors.test.ts; here: which issue decides, and that what was taken is 200.

const issuesOf = (codes: ErrorCode[]) => codes.map((code) => ({ code, location: { segment: 'MSH' }, message: 'synthetic' }));

describe('httpStatusOf', () => {
  it.each([
    ['an accepted message', 'accept', [], 200],
    ['an exact retransmission', 'duplicate', [], 200],
    ['a batch (its envelope holds each message’s own ACK)', 'batch', [], 200],
    ['a content error', 'error', ['required-field-missing'], 400],
    ['the first issue decides', 'reject', ['unsupported-event', 'bad-timestamp'], 422],
    ['a store that could not commit', 'reject', ['store-unavailable'], 503],
    ['a message too large for the store', 'reject', ['message-too-large'], 413],
    ['a sender breaking an identity rule', 'reject', ['sender-not-authorised'], 403],
  ] as Array<[string, IngestResult, ErrorCode[], number]>)('%s → %i', (_name, result, codes, status) => {
    expect(httpStatusOf(result, issuesOf(codes))).toBe(status);
  });
});
