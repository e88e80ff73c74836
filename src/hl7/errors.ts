// The closed catalogue of reasons a message is refused. Each code maps, by an exhaustive switch,
// to an HL7 table 0357 error code, the ACK severity (AE = content is wrong, AR = not accepted here
// or cannot be stored now) and the HTTP status the HTTPS door answers with (decisions.md).

export const errorCodes = [
  'no-msh', // the frame does not start with a readable MSH segment
  'bad-encoding-characters', // MSH-1/MSH-2 are not a legal set of delimiters
  'required-field-missing', // MSH-7, MSH-9, MSH-10, MSH-11 or MSH-12 empty
  'bad-timestamp', // MSH-7 is not a valid HL7 DTM
  'required-segment-missing', // e.g. PID for ADT
  'bad-segment', // a malformed segment id (PIDX, PV) or a second MSH in one message
  'unsupported-message-type', // MSH-9.1 not in hl7.acceptedTypes
  'unsupported-event', // MSH-9.2 not accepted for that type
  'unsupported-version', // MSH-12 not an HL7 v2 version
  'unsupported-processing-id', // MSH-11 not P, T or D
  'duplicate-control-id', // same MSH-3/MSH-4/MSH-10 already stored with other content
  'message-too-large', // over mllp.maxMessageBytes
  'store-unavailable', // the database did not commit in time
  'sender-not-authorised', // MSH-3/MSH-4 not allowed for this peer by the `senders` identity rules
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/** HL7 table 0357 (message error condition codes) values used by this service. */
export type Hl7ErrorCode = 100 | 101 | 102 | 103 | 200 | 201 | 203 | 205 | 207;

/** 'error' answers AE/CE (the content is wrong); 'reject' answers AR/CR (not accepted here). */
export type Severity = 'error' | 'reject';

export type ErrorDescription = { hl7Code: Hl7ErrorCode; severity: Severity; httpStatus: number };

export function describeError(code: ErrorCode): ErrorDescription {
  switch (code) {
    case 'no-msh':
      return { hl7Code: 100, severity: 'reject', httpStatus: 400 };
    case 'bad-encoding-characters':
      return { hl7Code: 102, severity: 'reject', httpStatus: 400 };
    case 'required-field-missing':
      return { hl7Code: 101, severity: 'error', httpStatus: 400 };
    case 'bad-timestamp':
      return { hl7Code: 102, severity: 'error', httpStatus: 400 };
    case 'required-segment-missing':
      return { hl7Code: 100, severity: 'error', httpStatus: 400 };
    case 'bad-segment':
      return { hl7Code: 100, severity: 'error', httpStatus: 400 };
    case 'unsupported-message-type':
      return { hl7Code: 200, severity: 'reject', httpStatus: 422 };
    case 'unsupported-event':
      return { hl7Code: 201, severity: 'reject', httpStatus: 422 };
    case 'unsupported-version':
      return { hl7Code: 203, severity: 'reject', httpStatus: 422 };
    case 'unsupported-processing-id':
      return { hl7Code: 103, severity: 'reject', httpStatus: 422 };
    case 'duplicate-control-id':
      // An AE like any content error: the issue says 400 for AE/CE (not 409).
      return { hl7Code: 205, severity: 'error', httpStatus: 400 };
    case 'message-too-large':
      return { hl7Code: 207, severity: 'reject', httpStatus: 413 };
    case 'store-unavailable':
      return { hl7Code: 207, severity: 'reject', httpStatus: 503 };
    case 'sender-not-authorised':
      return { hl7Code: 207, severity: 'reject', httpStatus: 403 };
  }
}

/** Where in the message an issue is: ERR-2 (2.5+) / ERR-1 (before 2.5). */
export type Location = {
  segment: string; // 'MSH', 'PID'
  sequence?: number; // segment repetition, 1-based
  field?: number;
  component?: number;
};

/** One reason a message is refused. `message` names the field, never its value (no PHI). */
export type Issue = { code: ErrorCode; location: Location; message: string };

export function formatLocation(location: Location): string {
  const parts = [location.segment];
  if (location.field !== undefined) parts.push(String(location.field));
  if (location.component !== undefined) parts.push(String(location.component));
  return parts.join('-');
}
