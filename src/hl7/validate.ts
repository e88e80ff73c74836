import type { Issue, Location } from './errors.ts';
import type { MessageHeader, ParsedMessage } from './message.ts';
import { isValidHl7Timestamp } from './timestamp.ts';

// MSH-level validation. Issues come in this order and the first one decides the ACK:
// 1. acceptance (AR): message type, event, version, processing id. HL7 2.9.2 has the receiver
//    check MSH-9, MSH-11 and MSH-12 before it processes anything; an ORM sent to an ADT/ORU/SIU
//    listener must hear "not accepted here" (do not resend), not "MSH-7 is empty" (fix and resend).
// 2. content (AE): required MSH fields, MSH-7, segment ids, required segments.
// An ACK (MSH-9.1 = ACK) answers something; it is stored and never answered (ingest), so the
// checks that decide whether a message is accepted as data here (hl7.acceptedTypes, MSH-9.2) do
// not apply to it. Everything else does (MSH-7, MSH-10, MSH-11, MSH-12, segment ids, and
// hl7.requiredSegments when it names ACK, e.g. `ACK: [MSA]`).

/** Derived from the `hl7` config section, but declared here: `hl7/` imports nothing from `src/`. */
export type ValidationRules = {
  /** MSH-9.1 → accepted MSH-9.2 values; `'*'` accepts any event. */
  acceptedTypes: Record<string, string[]>;
  /** `TYPE` or `TYPE^EVENT` → required segment ids; the event-specific entry replaces the type's. */
  requiredSegments: Record<string, string[]>;
};

const knownVersions = new Set(['2.1', '2.2', '2.3', '2.3.1', '2.4', '2.5', '2.5.1', '2.6', '2.7', '2.7.1', '2.8', '2.8.1', '2.8.2', '2.9']);
const processingIds = new Set(['P', 'T', 'D']);
const segmentIdPattern = /^[A-Z][A-Z0-9]{2}$/;

export function validateMessage(message: ParsedMessage, rules: ValidationRules): Issue[] {
  const { header } = message;
  return [
    ...checkAcceptance(header, rules),
    ...checkRequiredFields(header),
    ...checkTimestamp(header),
    ...checkSegmentIds(message.segmentIds),
    ...checkRequiredSegments(message, rules),
  ];
}

function msh(field: number, component?: number): Location {
  return component === undefined ? { segment: 'MSH', sequence: 1, field } : { segment: 'MSH', sequence: 1, field, component };
}

/** Codes are named in messages only when they look like codes: a broken MSH could put PHI there. */
function quote(value: string): string {
  return /^[A-Za-z0-9._-]{1,20}$/.test(value) ? `${value} ` : '';
}

/** MSH-9.1 is ACK: an acknowledgment, never answered. Cheap: reads the parsed header only. */
export function isAckMessage(header: Partial<MessageHeader> | null): boolean {
  return header?.messageType === 'ACK';
}

function checkAcceptance(h: MessageHeader, rules: ValidationRules): Issue[] {
  const issues: Issue[] = [];
  const isAck = isAckMessage(h);
  const events = Object.hasOwn(rules.acceptedTypes, h.messageType) ? rules.acceptedTypes[h.messageType] : undefined;
  if (h.messageType !== '' && events === undefined && !isAck) {
    issues.push({ code: 'unsupported-message-type', location: msh(9, 1), message: `message type ${quote(h.messageType)}is not accepted here` });
  }
  if (events !== undefined && !isAck && h.triggerEvent !== '' && !events.includes('*') && !events.includes(h.triggerEvent)) {
    const message = `event ${quote(h.triggerEvent)}of message type ${quote(h.messageType)}is not accepted here`;
    issues.push({ code: 'unsupported-event', location: msh(9, 2), message });
  }
  if (h.version !== '' && !knownVersions.has(h.version)) {
    issues.push({ code: 'unsupported-version', location: msh(12, 1), message: `version ${quote(h.version)}(MSH-12) is not a supported HL7 v2 version` });
  }
  const processingId = (h.processingId.split(h.delimiters.component)[0] ?? '').trim();
  if (processingId !== '' && !processingIds.has(processingId)) {
    issues.push({ code: 'unsupported-processing-id', location: msh(11, 1), message: `processing id ${quote(processingId)}(MSH-11) is not P, T or D` });
  }
  return issues;
}

function checkRequiredFields(h: MessageHeader): Issue[] {
  const missing = (location: Location, name: string): Issue => ({
    code: 'required-field-missing',
    location,
    message: `${name} is empty`,
  });
  const issues: Issue[] = [];
  if (h.timestamp.trim() === '') issues.push(missing(msh(7), 'MSH-7 (date/time of message)'));
  if (h.messageType === '' && h.triggerEvent === '') issues.push(missing(msh(9), 'MSH-9 (message type)'));
  else if (h.messageType === '') issues.push(missing(msh(9, 1), 'MSH-9.1 (message code)'));
  else if (h.triggerEvent === '' && !isAckMessage(h)) issues.push(missing(msh(9, 2), 'MSH-9.2 (trigger event)'));
  if (h.controlId.trim() === '') issues.push(missing(msh(10), 'MSH-10 (message control id)'));
  if (h.processingId.trim() === '') issues.push(missing(msh(11), 'MSH-11 (processing id)'));
  if (h.version === '') issues.push(missing(msh(12), 'MSH-12 (version id)'));
  return issues;
}

function checkTimestamp(h: MessageHeader): Issue[] {
  if (h.timestamp.trim() === '' || isValidHl7Timestamp(h.timestamp, h.delimiters.component)) return [];
  return [{ code: 'bad-timestamp', location: msh(7), message: 'MSH-7 (date/time of message) is not a valid HL7 date/time' }];
}

function checkSegmentIds(segmentIds: string[]): Issue[] {
  const issues: Issue[] = [];
  segmentIds.forEach((id, index) => {
    const position = index + 1;
    if (!segmentIdPattern.test(id)) {
      // The id is echoed only when it looks like one (PIDX, PV), never arbitrary text.
      const segment = /^[A-Z0-9]{1,4}$/.test(id) ? id : '';
      issues.push({ code: 'bad-segment', location: { segment }, message: `segment ${position} has a malformed segment id` });
    } else if (id === 'MSH' && index > 0) {
      const message = `MSH appears again at segment ${position}: one message per payload (batches need FHS/BHS)`;
      issues.push({ code: 'bad-segment', location: { segment: 'MSH', sequence: 2 }, message });
    }
  });
  return issues;
}

function checkRequiredSegments(message: ParsedMessage, rules: ValidationRules): Issue[] {
  const { messageType, triggerEvent } = message.header;
  if (messageType === '') return [];
  const eventKey = `${messageType}^${triggerEvent}`;
  const byEvent = triggerEvent === '' ? undefined : pick(rules.requiredSegments, eventKey);
  const required = byEvent ?? pick(rules.requiredSegments, messageType) ?? [];
  // A few required ids against a short list: no Set, and the wording only when something is missing.
  const absent = required.filter((segment) => !message.segmentIds.includes(segment));
  if (absent.length === 0) return [];
  const scope = byEvent === undefined ? messageType : eventKey;
  const reason = /^[A-Za-z0-9._^-]{1,30}$/.test(scope) ? ` (required for ${scope})` : '';
  return absent.map((segment): Issue => ({ code: 'required-segment-missing', location: { segment }, message: `${segment} segment is missing${reason}` }));
}

function pick(record: Record<string, string[]>, key: string): string[] | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
