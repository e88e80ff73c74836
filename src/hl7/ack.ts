import type { AckEncoding } from './charset.ts';
import { defaultDelimiters, type Delimiters } from './delimiters.ts';
import { describeError, type Hl7ErrorCode, type Issue, type Location } from './errors.ts';
import { escapeText } from './escape.ts';
import type { MessageHeader } from './message.ts';
import { formatHl7Timestamp } from './timestamp.ts';

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';
/** What happened to the message: accepted, refused for its content (AE), or not accepted here (AR). */
export type AckResult = 'accept' | 'error' | 'reject';
/** `hl7` follows MSH-15/MSH-16; `always` answers every message. */
export type AckMode = 'hl7' | 'always';

export type AckInput = {
  header: Partial<MessageHeader> | null;
  code: AckCode;
  issues: Issue[];
  /** A fresh MSH-10 for the ACK itself. */
  controlId: string;
  now: Date;
  /** Plain names (escaped here), used when the received MSH-5/MSH-6 are empty. */
  sendingApplication: string;
  sendingFacility: string;
  /** What the caller will encode the ACK in (`ackEncodingFor`); its label goes in MSH-18. */
  encoding: AckEncoding;
};

const applicationCodes = { accept: 'AA', error: 'AE', reject: 'AR' } as const;
const commitCodes = { accept: 'CA', error: 'CE', reject: 'CR' } as const;

/** The first issue decides (validateMessage puts the not-accepted-here issues first). */
export function resultOf(issues: Issue[]): AckResult {
  const first = issues[0];
  if (first === undefined) return 'accept';
  return describeError(first.code).severity === 'reject' ? 'reject' : 'error';
}

/**
 * Original mode (MSH-15 and MSH-16 empty): AA/AE/AR. Enhanced mode: a commit ACK when MSH-15
 * (empty counts as AL) applies, else an application ACK when MSH-16 applies, else nothing (null).
 * `always` keeps whatever `hl7` would send and fills its silences with the commit code.
 */
export function ackCodeFor(header: Partial<MessageHeader> | null, result: AckResult, mode: AckMode): AckCode | null {
  const acceptAck = (header?.acceptAckType ?? '').toUpperCase();
  const applicationAck = (header?.applicationAckType ?? '').toUpperCase();
  if (acceptAck === '' && applicationAck === '') return applicationCodes[result];
  if (applies(acceptAck === '' ? 'AL' : acceptAck, result)) return commitCodes[result];
  if (applicationAck !== '' && applies(applicationAck, result)) return applicationCodes[result];
  return mode === 'always' ? commitCodes[result] : null;
}

/** HL7 table 0155. An unknown value is read as AL: answering beats leaving a sender waiting. */
function applies(condition: string, result: AckResult): boolean {
  switch (condition) {
    case 'NE':
      return false;
    case 'ER':
      return result !== 'accept';
    case 'SU':
      return result === 'accept';
    default:
      return true;
  }
}

const errorTexts: Record<Hl7ErrorCode, string> = {
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  203: 'Unsupported version id',
  205: 'Duplicate key identifier',
  207: 'Application internal error',
};

/** The ACK payload: segments joined by CR, ending with CR. */
export function buildAck(input: AckInput): string {
  const d = input.header?.delimiters ?? defaultDelimiters;
  const version = readVersion(input.header?.version ?? '');
  const segments = [buildMsh(input, d, version), buildMsa(input, d, version)];
  if (input.code !== 'AA' && input.code !== 'CA' && input.issues.length > 0) {
    // Before 2.5 the ACK holds at most one ERR; each problem is a repetition of ERR-1.
    if (version >= 250) segments.push(...input.issues.map((issue) => buildErr(issue, d)));
    else segments.push(['ERR', input.issues.map((issue) => formatEld(issue, d)).join(d.repetition)].join(d.field));
  }
  return segments.join('\r') + '\r';
}

/**
 * 2.3.1 → 231, 2.5 → 250; an unreadable version counts as 2.5, the MSH-12 the ACK then carries.
 * Reads `d.d[.d]` at the start, as /^(\d)\.(\d)(?:\.(\d))?/ would, without a regex per ACK.
 */
function readVersion(version: string): number {
  const major = digitAt(version, 0);
  const minor = digitAt(version, 2);
  if (major === -1 || version.charCodeAt(1) !== 0x2e || minor === -1) return 250;
  const patch = version.charCodeAt(3) === 0x2e ? digitAt(version, 4) : -1;
  return major * 100 + minor * 10 + (patch === -1 ? 0 : patch);
}

function digitAt(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code >= 0x30 && code <= 0x39 ? code - 0x30 : -1;
}

// A plain function, not a closure in buildMsh: this runs for every ACK (and tsx wraps closures).
function orFallback(value: string | undefined, fallback: string, d: Delimiters): string {
  return value !== undefined && value.trim() !== '' ? value : escapeText(fallback, d);
}

function buildMsh(input: AckInput, d: Delimiters, version: number): string {
  const h = input.header;
  const event = h?.triggerEvent ?? '';
  const c = d.component;
  const messageType = event === '' ? 'ACK' : version >= 231 ? `ACK${c}${event}${c}ACK` : `ACK${c}${event}`;
  const fields = [
    'MSH',
    d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? ''),
    orFallback(h?.receivingApplication, input.sendingApplication, d),
    orFallback(h?.receivingFacility, input.sendingFacility, d),
    h?.sendingApplication ?? '',
    h?.sendingFacility ?? '',
    formatHl7Timestamp(input.now),
    '',
    messageType,
    escapeText(input.controlId, d),
    orFallback(h?.processingId, 'P', d),
    orFallback(h?.versionField, '2.5', d),
  ];
  // MSH-18 names the charset of these bytes, not the one the message claimed (they may differ).
  if (input.encoding.label !== '') fields.push('', '', '', '', '', escapeText(input.encoding.label, d));
  return fields.join(d.field);
}

/**
 * MSA-2 is MSH-10 exactly as the sender wrote it (escape sequences untouched): senders match it
 * byte for byte. A header without the raw field (a hand-made one) gets its MSH-10 escaped again.
 * MSA-3 is deprecated from 2.4 and withdrawn in 2.7 (ERR-8 carries the text); engines still read it.
 */
function buildMsa(input: AckInput, d: Delimiters, version: number): string {
  const h = input.header;
  const fields = ['MSA', input.code, h?.controlIdRaw ?? escapeText(h?.controlId ?? '', d)];
  const first = input.issues[0];
  if (input.code !== 'AA' && input.code !== 'CA' && first !== undefined && version < 270) {
    fields.push(escapeText(first.message, d));
  }
  return fields.join(d.field);
}

/** 2.5 on: ERR-2 (ERL), ERR-3 (CWE, table 0357), ERR-4 severity, ERR-8 user message. */
function buildErr(issue: Issue, d: Delimiters): string {
  const { hl7Code } = describeError(issue.code);
  const c = d.component;
  const condition = `${hl7Code}${c}${errorTexts[hl7Code]}${c}HL70357`;
  return ['ERR', '', formatErl(issue.location, d), condition, 'E', '', '', '', escapeText(issue.message, d)].join(d.field);
}

function formatErl(location: Location, d: Delimiters): string {
  const parts = [escapeText(location.segment, d), String(location.sequence ?? 1)];
  if (location.field !== undefined) parts.push(String(location.field));
  // ERL-4 is the field repetition; component positions start at ERL-5.
  if (location.field !== undefined && location.component !== undefined) parts.push('1', String(location.component));
  return parts.join(d.component);
}

/** Before 2.5: ERR-1 (ELD) segment^sequence^field^code&text&HL70357. */
function formatEld(issue: Issue, d: Delimiters): string {
  const { hl7Code } = describeError(issue.code);
  const s = d.subcomponent;
  const { segment, sequence, field } = issue.location;
  const code = `${hl7Code}${s}${errorTexts[hl7Code]}${s}HL70357`;
  return [escapeText(segment, d), String(sequence ?? 1), field === undefined ? '' : String(field), code].join(d.component);
}
