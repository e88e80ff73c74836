// Segment boundaries. Ingest needs the MSH line, every segment id and the first PID segment, so
// the hot path walks the line breaks once and keeps only those; the full list of segment texts is
// built only when someone asks for it (ParsedMessage.segments is lazy).

/** CR is the HL7 separator; LF and CRLF (also mixed) are common in the field and accepted. */
export function splitSegments(text: string): string[] {
  const lines = text.includes('\n') ? text.split(/\r\n|\r|\n/) : text.split('\r');
  const segments: string[] = [];
  for (const line of lines) {
    if (line.length > 0 && (line.charCodeAt(0) > 0x20 || line.trim() !== '')) segments.push(line);
  }
  return segments;
}

/** Where the line starting at `from` ends: the next CR or LF, or the end of the text. */
export function lineEnd(text: string, from: number): number {
  const cr = text.indexOf('\r', from);
  const lf = text.indexOf('\n', from);
  if (cr === -1) return lf === -1 ? text.length : lf;
  return lf === -1 || cr < lf ? cr : lf;
}

export type SegmentScan = {
  /** Up to the field separator, at most 4 characters, one per segment (blank lines skipped). */
  ids: string[];
  /** The first PID segment's text, or null. */
  pid: string | null;
};

/** The same segments as splitSegments(text.slice(start)), without materialising them. */
export function scanSegments(text: string, start: number, field: string): SegmentScan {
  const fieldCode = field.charCodeAt(0);
  const ids: string[] = [];
  let pid: string | null = null;
  // Next CR and next LF, each searched again only once passed: one pass over the text.
  let nextCr = text.indexOf('\r', start);
  let nextLf = text.indexOf('\n', start);
  for (let pos = start; pos <= text.length; ) {
    if (nextCr !== -1 && nextCr < pos) nextCr = text.indexOf('\r', pos);
    if (nextLf !== -1 && nextLf < pos) nextLf = text.indexOf('\n', pos);
    const end = nextCr === -1 ? (nextLf === -1 ? text.length : nextLf) : nextLf === -1 || nextCr < nextLf ? nextCr : nextLf;
    if (end > pos && (text.charCodeAt(pos) > 0x20 || text.slice(pos, end).trim() !== '')) {
      ids.push(segmentId(text, pos, end, fieldCode));
      if (pid === null && text.startsWith('PID', pos) && text.charCodeAt(pos + 3) === fieldCode) pid = text.slice(pos, end);
    }
    pos = end + 1;
  }
  return { ids, pid };
}

function segmentId(text: string, from: number, to: number, fieldCode: number): string {
  const limit = Math.min(to, from + 4);
  let end = from;
  while (end < limit && text.charCodeAt(end) !== fieldCode) end++;
  return text.slice(from, end);
}
