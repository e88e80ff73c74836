import { isUtf8 } from 'node:buffer';
import type { Delimiters } from './delimiters.ts';

// HL7 v2 escape sequences (chapter 2, "Use of escape sequences in text fields").
//
// Choices for the sequences that have no plain-text meaning:
// - \.br\ and \.sp\ become a line feed; \H\ \N\ (highlighting) and the other formatting
//   commands (\.fi\ \.nf\ \.in\ \.ti\ \.sk\ \.ce\) are removed;
// - \Cxxyy\ \Mxxyyzz\ (character set switches) are removed: the text is already decoded;
// - \Zxx\ (locally defined) and unknown sequences are kept as written, so no data is lost;
// - \Xhh..\ bytes are read as UTF-8 when they form valid UTF-8, else as ISO-8859-1.

/** Replaces escape sequences by the characters they stand for. */
export function unescapeText(value: string, d: Delimiters): string {
  let start = value.indexOf(d.escape);
  if (start === -1) return value;
  let out = value.slice(0, start);
  while (start !== -1) {
    const end = value.indexOf(d.escape, start + 1);
    if (end === -1) return out + value.slice(start);
    const sequence = value.slice(start + 1, end);
    const replacement = translate(sequence, d);
    out += replacement ?? value.slice(start, end + 1);
    const next = value.indexOf(d.escape, end + 1);
    out += value.slice(end + 1, next === -1 ? value.length : next);
    start = next;
  }
  return out;
}

/** The text a sequence stands for; null keeps it as written. */
function translate(sequence: string, d: Delimiters): string | null {
  switch (sequence) {
    case 'F':
      return d.field;
    case 'S':
      return d.component;
    case 'T':
      return d.subcomponent;
    case 'R':
      return d.repetition;
    case 'E':
      return d.escape;
    case 'P':
      return d.truncation;
    case 'H':
    case 'N':
      return '';
  }
  if (/^X(?:[0-9A-Fa-f]{2})+$/.test(sequence)) return decodeHex(sequence.slice(1));
  if (/^\.(?:br|sp(?: ?\d+)?)$/.test(sequence)) return '\n';
  if (/^\.(?:fi|nf|ce|sk ?\d+|in ?[+-]?\d+|ti ?[+-]?\d+)$/.test(sequence)) return '';
  if (/^(?:C[0-9A-Fa-f]{4}|M[0-9A-Fa-f]{4}(?:[0-9A-Fa-f]{2})?)$/.test(sequence)) return '';
  return null;
}

function decodeHex(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  return bytes.toString(isUtf8(bytes) ? 'utf8' : 'latin1');
}

/** Escapes delimiters (and CR/LF, which would end the segment) for use in a field value. */
export function escapeText(value: string, d: Delimiters): string {
  let out = '';
  let copied = 0;
  for (let i = 0; i < value.length; i++) {
    const sequence = escapeSequence(value.charAt(i), d);
    if (sequence === null) continue;
    out += value.slice(copied, i) + d.escape + sequence + d.escape;
    copied = i + 1;
  }
  return copied === 0 ? value : out + value.slice(copied);
}

function escapeSequence(char: string, d: Delimiters): string | null {
  if (char === d.escape) return 'E';
  if (char === d.field) return 'F';
  if (char === d.component) return 'S';
  if (char === d.subcomponent) return 'T';
  if (char === d.repetition) return 'R';
  if (char === d.truncation) return 'P';
  if (char === '\r') return 'X0D';
  if (char === '\n') return 'X0A';
  return null;
}
