import { decodeMessage, readCharsetField } from './charset.ts';
import { defaultDelimiters, readDelimiters, type Delimiters } from './delimiters.ts';
import type { Issue } from './errors.ts';
import { unescapeText } from './escape.ts';
import { component, first } from './components.ts';
import { readPatient } from './patient.ts';
import { nextSegment, openSegments, scanSegments, splitSegments } from './segments.ts';

// The hot path: split only what the service needs (segments, MSH, PID-3), never a full parse.

export type MessageHeader = {
  delimiters: Delimiters;
  /** MSH-2 as written. */
  encodingCharacters: string;
  /** MSH-3..MSH-6 as written: components kept, not unescaped. */
  sendingApplication: string;
  sendingFacility: string;
  receivingApplication: string;
  receivingFacility: string;
  /** MSH-7 as written. */
  timestamp: string;
  /** MSH-9.1, MSH-9.2, MSH-9.3 (trimmed). */
  messageType: string;
  triggerEvent: string;
  messageStructure: string;
  /** MSH-10, unescaped (stored, and part of the dedup key). */
  controlId: string;
  /** MSH-10 exactly as written, escape sequences included: what MSA-2 echoes. */
  controlIdRaw: string;
  /** MSH-11 as written. */
  processingId: string;
  /** MSH-12.1 (trimmed) and MSH-12 as written. */
  version: string;
  versionField: string;
  /** MSH-15, MSH-16 (trimmed). */
  acceptAckType: string;
  applicationAckType: string;
  /** MSH-18, first repetition, trimmed. */
  charset: string;
};

export type ParsedMessage = {
  header: MessageHeader;
  /** The canonical name of the charset the bytes were decoded with. */
  charset: string;
  /** Segment texts, separators and blank lines removed. Built on first read (ingest never reads it). */
  readonly segments: string[];
  /** Up to the field separator, at most 4 characters (enough to tell a malformed id). */
  segmentIds: string[];
  /**
   * PID-3.1 (unescaped, trimmed) of the first PID-3 repetition whose PID-3.5 is `MR`, else of the
   * first repetition with an identifier; null without PID or when no repetition has one.
   */
  patientId: string | null;
  /**
   * PID-3.4 (assigning authority) of that same repetition: the HD as written, subcomponents kept
   * (joined by the message's own subcomponent separator), escape sequences unescaped, trimmed;
   * null when empty or when there is no patient id.
   */
  patientAuthority: string | null;
};

export type ParseResult =
  | { ok: true; message: ParsedMessage }
  | { ok: false; issue: Issue; header: Partial<MessageHeader> | null; charset: string };

/** `charset`: declared outside the message (HTTP Content-Type); wins over MSH-18 when set. */
export type ParseOptions = { defaultCharset: string; charset?: string | undefined };

export function parseMessage(bytes: Buffer, options: ParseOptions): ParseResult {
  const declared = options.charset ?? readCharsetField(bytes);
  const { text, charset } = decodeMessage(bytes, declared, options.defaultCharset);
  const startIssue = checkStart(text);
  if (startIssue !== null) return { ok: false, issue: startIssue, header: null, charset };
  // checkStart made sure the first segment is MSH; where it ends decides the segment separator.
  const cursor = openSegments(text, skipLineBreaks(text));
  nextSegment(cursor);
  const msh = detached(text.slice(cursor.start, cursor.stop));
  const result = readDelimiters(msh);
  if (!result.ok) {
    const issue: Issue = {
      code: 'bad-encoding-characters',
      location: { segment: 'MSH', sequence: 1, field: result.field === null ? 1 : 2 },
      message: result.reason,
    };
    // Read what we can with the default encoding characters, so the NAK can still echo MSH-10,
    // unless MSH-1 is one of them: the ACK could not be written consistently.
    const field = result.field;
    const fallback = field !== null && !'^~\\&'.includes(field) ? { ...defaultDelimiters, field } : null;
    const header = fallback === null ? null : readHeader(msh, fallback, result.encodingCharacters);
    return { ok: false, issue, header, charset };
  }
  const d = result.delimiters;
  const scan = scanSegments(cursor, d.field);
  const header = readHeader(msh, d, result.encodingCharacters);
  const patient = scan.pid === null ? null : readPatient(detached(scan.pid), d);
  return { ok: true, message: new Parsed(header, charset, scan.ids, patient?.id ?? null, patient?.authority ?? null, text) };
}

/**
 * A copy that does not keep `text` alive. V8 makes a substring of 13 characters or more a view into
 * its parent string, so the header fields and the patient id, which live on in the stored row until
 * its commit, would each pin the whole decoded message (measured: 20 messages of 4 MiB kept 92 MiB
 * alive through their MSH-10 alone). The MSH and PID segments are copied once, before they are split.
 */
function detached(segment: string): string {
  return Buffer.from(segment, 'utf16le').toString('utf16le');
}

/**
 * A class only so that `segments` can be a lazy getter on the prototype: ingest never reads it,
 * and a getter closure per message cost more (in GC) than the split it saves.
 */
class Parsed implements ParsedMessage {
  readonly #text: string;
  #segments: string[] | undefined;

  constructor(
    readonly header: MessageHeader,
    readonly charset: string,
    readonly segmentIds: string[],
    readonly patientId: string | null,
    readonly patientAuthority: string | null,
    text: string,
  ) {
    this.#text = text;
  }

  get segments(): string[] {
    return (this.#segments ??= splitSegments(this.#text));
  }
}

/** Blank lines are ignored anywhere, before MSH too. */
function skipLineBreaks(text: string): number {
  let start = 0;
  while (text.charCodeAt(start) === 0x0d || text.charCodeAt(start) === 0x0a) start++;
  return start;
}

function checkStart(text: string): Issue | null {
  // Anything but blank lines before MSH is refused.
  const start = skipLineBreaks(text);
  if (text.startsWith('MSH', start)) return null;
  const location = { segment: 'MSH' };
  if (text.trim() === '') return { code: 'no-msh', location, message: 'the message is empty' };
  if (text.startsWith('FHS', start) || text.startsWith('BHS', start)) {
    return { code: 'no-msh', location, message: 'batches (FHS/BHS) are read as batches, not as one message' };
  }
  return { code: 'no-msh', location, message: 'the message does not begin with an MSH segment' };
}

function readHeader(msh: string, d: Delimiters, encodingCharacters: string): MessageHeader {
  // MSH-1 is the field separator itself, so split index i holds MSH-(i+1).
  const fields = msh.split(d.field);
  const messageType = fields[8] ?? '';
  const versionField = fields[11] ?? '';
  return {
    delimiters: d,
    encodingCharacters,
    sendingApplication: fields[2] ?? '',
    sendingFacility: fields[3] ?? '',
    receivingApplication: fields[4] ?? '',
    receivingFacility: fields[5] ?? '',
    timestamp: fields[6] ?? '',
    messageType: component(messageType, d.component, 1),
    triggerEvent: component(messageType, d.component, 2),
    messageStructure: component(messageType, d.component, 3),
    controlId: unescapeText(fields[9] ?? '', d),
    controlIdRaw: fields[9] ?? '',
    processingId: fields[10] ?? '',
    version: component(versionField, d.component, 1),
    versionField,
    acceptAckType: (fields[14] ?? '').trim(),
    applicationAckType: (fields[15] ?? '').trim(),
    charset: first(fields[17] ?? '', d.repetition).trim(),
  };
}
