import { describe, expect, it } from 'vitest';
import { buildAck } from './ack.ts';
import { ackEncodingFor } from './charset.ts';
import { describeError, errorCodes, formatLocation } from './errors.ts';

describe('error catalogue', () => {
  it.each(errorCodes)('%s maps to a table 0357 code, a severity and an HTTP status', (code) => {
    const { hl7Code, severity, httpStatus } = describeError(code);
    expect([100, 101, 102, 103, 200, 201, 203, 205, 207]).toContain(hl7Code);
    expect(['error', 'reject']).toContain(severity);
    expect(httpStatus).toBeGreaterThanOrEqual(400);
    expect(httpStatus).toBeLessThan(600);
    const ack = buildAck({
      header: null,
      code: severity === 'reject' ? 'AR' : 'AE',
      issues: [{ code, location: { segment: 'MSH' }, message: 'x' }],
      controlId: '1',
      now: new Date(0),
      sendingApplication: 'A',
      sendingFacility: '',
      encoding: ackEncodingFor('UTF-8'),
    });
    expect(ack).toMatch(new RegExp(`\\rERR\\|\\|MSH\\^1\\|${hl7Code}\\^[A-Z][a-z ]+\\^HL70357\\|E\\|`));
  });

  it('maps content errors to 400 and AE, refusals of the message kind to 422 and AR', () => {
    expect(describeError('bad-segment')).toEqual({ hl7Code: 100, severity: 'error', httpStatus: 400 });
    expect(describeError('required-field-missing')).toEqual({ hl7Code: 101, severity: 'error', httpStatus: 400 });
    expect(describeError('unsupported-message-type')).toEqual({ hl7Code: 200, severity: 'reject', httpStatus: 422 });
  });

  it.each([
    [{ segment: 'MSH', sequence: 1, field: 10 }, 'MSH-10'],
    [{ segment: 'MSH', field: 9, component: 2 }, 'MSH-9-2'],
    [{ segment: 'PID' }, 'PID'],
  ])('formats %o as %s', (location, expected) => {
    expect(formatLocation(location)).toBe(expected);
  });
});
