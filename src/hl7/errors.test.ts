import { describe, expect, it } from 'vitest';
import { buildAck } from './ack.ts';
import { ackEncodingFor } from './charset.ts';
import { describeError, errorCodes, formatLocation, type ErrorCode, type ErrorDescription } from './errors.ts';

// The whole catalogue, pinned as data: a change to any code's table 0357 code, ACK severity or
// HTTP status (decisions.md: the status follows the cause) must show up here as a deliberate edit.
const catalogue: Record<ErrorCode, ErrorDescription> = {
  'no-msh': { hl7Code: 100, severity: 'reject', httpStatus: 400 },
  'bad-encoding-characters': { hl7Code: 102, severity: 'reject', httpStatus: 400 },
  'required-field-missing': { hl7Code: 101, severity: 'error', httpStatus: 400 },
  'bad-timestamp': { hl7Code: 102, severity: 'error', httpStatus: 400 },
  'required-segment-missing': { hl7Code: 100, severity: 'error', httpStatus: 400 },
  'bad-segment': { hl7Code: 100, severity: 'error', httpStatus: 400 },
  'unsupported-message-type': { hl7Code: 200, severity: 'reject', httpStatus: 422 },
  'unsupported-event': { hl7Code: 201, severity: 'reject', httpStatus: 422 },
  'unsupported-version': { hl7Code: 203, severity: 'reject', httpStatus: 422 },
  'unsupported-processing-id': { hl7Code: 103, severity: 'reject', httpStatus: 422 },
  'duplicate-control-id': { hl7Code: 205, severity: 'error', httpStatus: 400 },
  'message-too-large': { hl7Code: 207, severity: 'reject', httpStatus: 413 },
  'store-unavailable': { hl7Code: 207, severity: 'reject', httpStatus: 503 },
  'sender-not-authorised': { hl7Code: 207, severity: 'reject', httpStatus: 403 },
};

describe('error catalogue', () => {
  it('pins every code, and only the codes there are', () => {
    expect(Object.keys(catalogue).sort()).toEqual([...errorCodes].sort());
  });

  it.each(errorCodes)('%s maps to its table 0357 code, ACK severity and HTTP status', (code) => {
    expect(describeError(code)).toEqual(catalogue[code]);
  });

  it.each(errorCodes)('%s is written in the ACK as its table 0357 code', (code) => {
    const { hl7Code, severity } = catalogue[code];
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

  it.each([
    [{ segment: 'MSH', sequence: 1, field: 10 }, 'MSH-10'],
    [{ segment: 'MSH', field: 9, component: 2 }, 'MSH-9-2'],
    [{ segment: 'PID' }, 'PID'],
  ])('formats %o as %s', (location, expected) => {
    expect(formatLocation(location)).toBe(expected);
  });
});
