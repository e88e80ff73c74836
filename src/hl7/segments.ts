// Segment boundaries: the one place that says where a segment ends, used by the parser (MSH, segment
// ids, PID), the lazy segment list, the batch reader and the operations API's message view.
//
// The separator is decided once per message, from how its first segment (MSH; FHS/BHS for a batch)
// ends (decisions.md):
// - CR or CRLF: segments end at CR only. LFs right after a CR belong to the separator (CRLF; no
//   segment can begin with LF); any other LF is data: report text in OBX-5 often carries bare LFs.
// - LF only: segments end at LF (a CR is then data).
// Blank segments (spaces, tabs and line breaks only) are skipped anywhere. NUL, SUB (0x1A), CR and
// LF at the very end are padding, not data: old systems pad messages with NUL or SUB. Any other
// control character is data (an MLLP end block 0x1C in an HTTP body is a malformed segment).

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const SUB = 0x1a;

/**
 * Walks the segments of one text without materialising them: one object per message, moved on by
 * `nextSegment`. After `nextSegment` returned true, the segment is `text.slice(start, stop)`.
 */
export type SegmentCursor = {
  readonly text: string;
  /** '\r' or '\n', decided by `openSegments`. */
  readonly separator: string;
  /** The end of the content: trailing padding excluded. */
  readonly end: number;
  start: number;
  stop: number;
  /** Where the search for the next segment begins. */
  next: number;
};

/** `from`: where the message begins (line breaks there are skipped, as blank lines before MSH). */
export function openSegments(text: string, from = 0): SegmentCursor {
  let end = text.length;
  while (end > from && isPadding(text.charCodeAt(end - 1))) end--;
  let start = from;
  while (start < end && isLineBreak(text.charCodeAt(start))) start++;
  return { text, separator: separatorAfter(text, start, end), end, start, stop: start, next: start };
}

/** Moves to the next non-blank segment; false when there is none left. */
export function nextSegment(c: SegmentCursor): boolean {
  const text = c.text;
  const end = c.end;
  const separator = c.separator;
  let pos = c.next;
  while (pos < end) {
    const code = text.charCodeAt(pos);
    // A LF where a segment would begin follows a CR (or another such LF): part of the separator.
    if (code === LF && separator === '\r') {
      pos++;
      continue;
    }
    let stop = text.indexOf(separator, pos);
    if (stop === -1 || stop > end) stop = end;
    if (code > 0x20 || !isBlank(text, pos, stop)) {
      c.start = pos;
      c.stop = stop;
      c.next = stop + 1;
      return true;
    }
    pos = stop + 1;
  }
  c.next = end;
  return false;
}

/** The segment texts of a message (or of a batch), separators, blank lines and padding removed. */
export function splitSegments(text: string): string[] {
  const cursor = openSegments(text);
  const segments: string[] = [];
  while (nextSegment(cursor)) segments.push(text.slice(cursor.start, cursor.stop));
  return segments;
}

export type SegmentScan = {
  /** Up to the field separator, at most 4 characters, one per segment (blank lines skipped). */
  ids: string[];
  /** The first PID segment's text, or null. */
  pid: string | null;
};

/** The ids of the cursor's current segment and of every one after it, and the first PID. */
export function scanSegments(c: SegmentCursor, field: string): SegmentScan {
  const { text } = c;
  const fieldCode = field.charCodeAt(0);
  const ids: string[] = [];
  let pid: string | null = null;
  do {
    const start = c.start;
    ids.push(segmentId(text, start, c.stop, fieldCode));
    if (pid === null && text.startsWith('PID', start) && text.charCodeAt(start + 3) === fieldCode) pid = text.slice(start, c.stop);
  } while (nextSegment(c));
  return { ids, pid };
}

/**
 * The first line break of the first segment decides; a text without one reads as CR-separated.
 * Native forward searches (a character loop or lastIndexOf cost several times more on the hot path).
 */
function separatorAfter(text: string, from: number, end: number): string {
  const cr = text.indexOf('\r', from);
  const lf = text.indexOf('\n', from);
  if (lf === -1 || lf >= end) return '\r';
  return cr === -1 || lf < cr ? '\n' : '\r';
}

function isLineBreak(code: number): boolean {
  return code === CR || code === LF;
}

function isPadding(code: number): boolean {
  return code === CR || code === LF || code === NUL || code === SUB;
}

/** Only spaces, tabs and line breaks (0x09-0x0D, 0x20), as String.trim() sees ASCII. */
function isBlank(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code !== 0x20 && (code < 0x09 || code > 0x0d)) return false;
  }
  return true;
}

function segmentId(text: string, from: number, to: number, fieldCode: number): string {
  const limit = Math.min(to, from + 4);
  let end = from;
  while (end < limit && text.charCodeAt(end) !== fieldCode) end++;
  return text.slice(from, end);
}
