import { defaultDelimiters, readDelimiters, type Delimiters } from './delimiters.ts';
import type { Issue } from './errors.ts';
import { unescapeText } from './escape.ts';
import type { MessageHeader } from './message.ts';
import { nextSegment, openSegments } from './segments.ts';

// HL7 v2 batch protocol (chapter 2): [FHS] { [BHS] { MSH … } [BTS] } [FTS].
// The envelope is cut at the byte level so that each message keeps its exact bytes (it is stored
// and decoded on its own, with its own MSH-1/MSH-2 and MSH-18). The bytes are read as latin1 (one
// character per byte, so offsets are byte offsets) and split by the same rule as a message
// (segments.ts), decided by how the first envelope segment ends. Envelope lines are ASCII in
// practice, and latin1 gives back the same bytes when they are echoed.
// Stricter than the abstract syntax, so that a truncated or garbled envelope is refused as a
// whole instead of half-stored: a BHS needs its BTS, an FHS its FTS, several batches need an FHS,
// and BTS-1 / FTS-1, when valued, must match what the envelope holds.

export type EnvelopeSegment = {
  id: 'FHS' | 'BHS';
  delimiters: Delimiters;
  /** Index i holds SEG-(i+1) as written (index 0 is the segment id, SEG-1 the separator itself). */
  fields: string[];
};

export type Batch = { header: EnvelopeSegment; messages: Buffer[] };
export type BatchEnvelope = { file: EnvelopeSegment | null; batches: Batch[] };

export type BatchReadResult =
  | { ok: true; envelope: BatchEnvelope; header: Partial<MessageHeader> }
  /** `header` addresses the single NAK (MSA-2 = BHS-11, else FHS-11), when a header was readable. */
  | { ok: false; issue: Issue; header: Partial<MessageHeader> | null };

type Line = { start: number; end: number; id: string; separator: string };

/** The first non-blank segment is FHS or BHS. */
export function isBatch(bytes: Buffer): boolean {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x0d || bytes[i] === 0x0a)) i++;
  const id = bytes.toString('latin1', i, i + 3);
  return id === 'FHS' || id === 'BHS';
}

export function readBatch(bytes: Buffer): BatchReadResult {
  const text = bytes.toString('latin1');
  const cursor: Cursor = { bytes, text, lines: splitLines(text), next: 0, file: null, batch: null };
  try {
    const envelope = readEnvelope(cursor);
    return { ok: true, envelope, header: reference(cursor) ?? {} };
  } catch (err) {
    // Internal control flow only: callers get a result, never an exception, for bad input.
    if (!(err instanceof BrokenEnvelope)) throw err;
    return { ok: false, issue: err.issue, header: reference(cursor) };
  }
}

class BrokenEnvelope extends Error {
  constructor(readonly issue: Issue) {
    super(issue.message);
  }
}

function broken(segment: string, message: string, code: Issue['code'] = 'no-msh', field?: number): BrokenEnvelope {
  return new BrokenEnvelope({ code, location: field === undefined ? { segment } : { segment, sequence: 1, field }, message });
}

/** Where reading stands; the headers read so far address the NAK when the envelope is broken. */
type Cursor = { bytes: Buffer; text: string; lines: Line[]; next: number; file: EnvelopeSegment | null; batch: EnvelopeSegment | null };

function readEnvelope(c: Cursor): BatchEnvelope {
  if (peek(c)?.id === 'FHS') readHeader(c, 'FHS');
  const batches: Batch[] = [];
  while (c.file !== null || batches.length === 0) {
    if (c.file !== null && peek(c)?.id === 'FTS') break;
    batches.push(readOneBatch(c));
  }
  if (c.file !== null) checkTrailer(c, 'FTS', c.file, batches.length);
  const extra = peek(c);
  if (extra !== undefined) {
    const after = c.file === null ? 'BTS (several batches need an FHS … FTS file)' : 'FTS';
    throw broken(extra.id, `a segment follows the ${after}`);
  }
  return { file: c.file, batches };
}

function readOneBatch(c: Cursor): Batch {
  const first = peek(c);
  if (first?.id !== 'BHS') throw broken(first?.id ?? 'FTS', first === undefined ? 'the FHS has no FTS' : `${first.id} where a BHS is expected`);
  const header = readHeader(c, 'BHS');
  const starts: number[] = [];
  for (let line = peek(c); line?.id !== 'BTS'; line = peek(c)) {
    if (line === undefined) throw broken('BTS', 'the BHS has no BTS');
    if (line.id === 'FHS' || line.id === 'BHS' || line.id === 'FTS') throw broken(line.id, `${line.id} inside a batch, before its BTS`);
    if (line.id === 'MSH') starts.push(line.start);
    else if (starts.length === 0) throw broken(line.id, 'a segment other than MSH follows the BHS');
    c.next++;
  }
  const end = peek(c)?.start ?? c.bytes.length;
  const messages = starts.map((start, i) => c.bytes.subarray(start, starts[i + 1] ?? end));
  checkTrailer(c, 'BTS', header, messages.length);
  return { header, messages };
}

function readHeader(c: Cursor, id: 'FHS' | 'BHS'): EnvelopeSegment {
  const line = take(c);
  const text = c.text.slice(line.start, line.end);
  const result = readDelimiters(text);
  // Fields are still read when only BHS-2 is wrong, so that the NAK can carry BHS-11.
  const field = result.ok ? result.delimiters.field : result.field;
  const fallback = field !== null && !'^~\\&'.includes(field) ? { ...defaultDelimiters, field } : null;
  const delimiters = result.ok ? result.delimiters : fallback;
  const segment = delimiters === null ? null : { id, delimiters, fields: text.split(delimiters.field) };
  if (id === 'FHS') c.file = segment;
  else c.batch = segment;
  if (!result.ok || segment === null) {
    const reason = result.ok ? '' : result.reason.replaceAll('MSH-', `${id}-`);
    throw broken(id, reason, 'bad-encoding-characters', result.ok || result.field === null ? 1 : 2);
  }
  return segment;
}

/** BTS-1 is the batch's message count, FTS-1 the file's batch count: checked when valued. */
function checkTrailer(c: Cursor, id: 'BTS' | 'FTS', header: EnvelopeSegment, actual: number): void {
  const line = take(c);
  if (line.separator !== '' && line.separator !== header.delimiters.field) {
    throw broken(id, `${id} does not use the field separator of its ${header.id}`);
  }
  const text = c.text.slice(line.start, line.end);
  const declared = (text.split(header.delimiters.field)[1] ?? '').trim();
  if (declared === '') return;
  const what = id === 'BTS' ? 'batch message count' : 'file batch count';
  if (!/^\d{1,9}$/.test(declared)) throw broken(id, `${id}-1 (${what}) is not a number`, 'no-msh', 1);
  if (Number(declared) !== actual) {
    throw broken(id, `${id}-1 (${what}) says ${Number(declared)} but the envelope holds ${actual}`, 'no-msh', 1);
  }
}

/**
 * BHS-11 (else FHS-11) goes in MSA-2, as written; the batch header (else the file header)
 * addresses the ACK.
 */
function reference(c: Cursor): Partial<MessageHeader> | null {
  const segment = c.batch ?? c.file;
  if (segment === null) return null;
  const d = segment.delimiters;
  const control = [c.batch, c.file].find((s) => s !== null && controlIdOf(s).trim() !== '') ?? null;
  const f = segment.fields;
  return {
    delimiters: d,
    encodingCharacters: f[1] ?? '',
    sendingApplication: f[2] ?? '',
    sendingFacility: f[3] ?? '',
    receivingApplication: f[4] ?? '',
    receivingFacility: f[5] ?? '',
    controlId: control === null ? '' : controlIdOf(control),
    controlIdRaw: control?.fields[10] ?? '',
  };
}

/** BHS-11 / FHS-11, unescaped. */
function controlIdOf(segment: EnvelopeSegment): string {
  return unescapeText(segment.fields[10] ?? '', segment.delimiters);
}

function peek(c: Cursor): Line | undefined {
  return c.lines[c.next];
}

function take(c: Cursor): Line {
  const line = c.lines[c.next++];
  if (line === undefined) throw new Error('read past the last line');
  return line;
}

/** Non-blank lines, split as a message's segments are (segments.ts). */
function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  const cursor = openSegments(text);
  while (nextSegment(cursor)) lines.push(lineAt(text, cursor.start, cursor.stop));
  return lines;
}

/**
 * A trailer id (BTS, FTS) is the three letters followed by nothing or by a non-alphanumeric
 * character (BTSX is some other segment). FHS/BHS are headers whatever follows: their reader
 * refuses a field separator that cannot be one.
 */
function lineAt(text: string, start: number, end: number): Line {
  const id = text.slice(start, Math.min(start + 3, end));
  const separator = end > start + 3 ? text.charAt(start + 3) : '';
  const trailer = id === 'BTS' || id === 'FTS';
  const isId = !trailer || separator === '' || !/[A-Za-z0-9]/.test(separator);
  return { start, end, id: isId ? id : `${id}${separator}`, separator };
}
