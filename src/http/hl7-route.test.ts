import { describe, expect, it } from 'vitest';
import { describeError, errorCodes, type ErrorCode } from '../hl7/errors.ts';
import type { IngestOutcome, IngestResult } from '../ingest/outcome.ts';
import { httpStatusOf } from './hl7-route.ts';

function outcome(result: IngestResult, codes: ErrorCode[] = [], extra: Partial<IngestOutcome> = {}): IngestOutcome {
  const issues = codes.map((code) => ({ code, location: { segment: 'MSH' }, message: 'synthetic' }));
  return { ack: Buffer.from('MSH|'), ackCode: null, result, stored: true, issues, controlId: null, messageType: null, ...extra };
}

describe('httpStatusOf', () => {
  it.each([...errorCodes])('answers a refusal for %s with the catalogue status', (code) => {
    const result = describeError(code).severity === 'reject' ? 'reject' : 'error';
    expect(httpStatusOf(outcome(result, [code]))).toBe(describeError(code).httpStatus);
  });

  it.each([
    ['an accepted message', outcome('accepted'), 200],
    ['an exact retransmission', outcome('duplicate'), 200],
    ['the first issue decides', outcome('reject', ['unsupported-event', 'bad-timestamp']), 422],
    ['a stored batch', outcome('batch', [], { batch: { batches: 1, messages: [], storeUnavailable: false } }), 200],
    ['a batch whose transaction failed', outcome('batch', [], { batch: { batches: 1, messages: [], storeUnavailable: true } }), 503],
  ])('%s → %i', (_name, given, status) => {
    expect(httpStatusOf(given)).toBe(status);
  });

  it('maps the causes of decisions.md', () => {
    const status = (code: ErrorCode) => describeError(code).httpStatus;
    expect([status('required-field-missing'), status('no-msh'), status('bad-encoding-characters')]).toEqual([400, 400, 400]);
    expect([status('unsupported-message-type'), status('unsupported-version'), status('unsupported-processing-id')]).toEqual([422, 422, 422]);
    expect([status('store-unavailable'), status('message-too-large')]).toEqual([503, 413]);
  });
});
