// MSH-1 (field separator) and MSH-2 (encoding characters) decide how everything else is split,
// so they are read first, from the raw start of the message, before any field is touched.

export type Delimiters = {
  field: string;
  component: string;
  repetition: string;
  escape: string;
  subcomponent: string;
  /** The v2.7 truncation character (MSH-2 position 5); also sent by many 2.5.1 senders. */
  truncation: string | null;
};

export const defaultDelimiters: Delimiters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subcomponent: '&',
  truncation: null,
});

export type DelimiterResult =
  | { ok: true; delimiters: Delimiters; encodingCharacters: string }
  /** `field` is set when MSH-1 itself is usable, so the caller may still read MSH-10 for the ACK. */
  | { ok: false; reason: string; field: string | null; encodingCharacters: string };

/**
 * HL7 only recommends the usual set, but a delimiter must be one byte in every charset we decode
 * (we locate MSH-18 in the raw bytes before decoding) and must not be part of a value:
 * printable ASCII that is neither a letter, a digit nor a space.
 */
export function isLegalDelimiter(char: string): boolean {
  if (char.length !== 1) return false;
  const code = char.charCodeAt(0);
  const isDigit = code >= 0x30 && code <= 0x39;
  const isLetter = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  return code > 0x20 && code < 0x7f && !isDigit && !isLetter;
}

/** Reads MSH-1 and MSH-2 from the start of a message text (which must begin with `MSH`). */
export function readDelimiters(text: string): DelimiterResult {
  const field = text.charAt(3);
  if (!isLegalDelimiter(field)) {
    return { ok: false, reason: 'MSH-1 (field separator) is missing or not a legal delimiter', field: null, encodingCharacters: '' };
  }
  const encodingCharacters = readMsh2(text, field);
  const reason = checkEncodingCharacters(encodingCharacters, field);
  if (reason !== null) return { ok: false, reason, field, encodingCharacters };
  const [component = '', repetition = '', escape = '', subcomponent = '', truncation] = encodingCharacters;
  return {
    ok: true,
    delimiters: { field, component, repetition, escape, subcomponent, truncation: truncation ?? null },
    encodingCharacters,
  };
}

function readMsh2(text: string, field: string): string {
  let end = 4;
  while (end < text.length) {
    const char = text[end];
    if (char === field || char === '\r' || char === '\n') break;
    end++;
  }
  return text.slice(4, end);
}

function checkEncodingCharacters(chars: string, field: string): string | null {
  if (chars.length === 0) return 'MSH-2 (encoding characters) is empty';
  if (chars.length < 4) return 'MSH-2 (encoding characters) has fewer than 4 characters';
  if (chars.length > 5) return 'MSH-2 (encoding characters) has more than 5 characters';
  for (let i = 0; i < chars.length; i++) {
    const char = chars.charAt(i);
    if (!isLegalDelimiter(char)) return 'MSH-2 (encoding characters) holds a character that cannot be a delimiter';
    if (char === field || chars.indexOf(char) !== i) return 'MSH-2 (encoding characters) repeats a delimiter';
  }
  return null;
}
