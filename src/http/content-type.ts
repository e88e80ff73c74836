import { MIMEType } from 'node:util';
import { canonicalCharset } from '../hl7/charset.ts';

// Which request bodies POST /hl7 takes, and with which charset. The media types are those senders
// use for ER7 (pipe-delimited) HL7 v2; the response is the ACK in the same media type.
// Not text/plain: a browser sends text/plain (and form types) cross-site without a CORS preflight
// (a "simple request"), so any web page a user opened could post messages with the user's client
// certificate. Every type accepted here makes the browser ask first, and we never answer a preflight.

export const hl7MediaTypes = ['application/hl7-v2', 'x-application/hl7-v2+er7'] as const;

export type Hl7MediaType = (typeof hl7MediaTypes)[number];

export type Hl7ContentType =
  /** `charset`: the canonical name of the declared charset; undefined when none was declared. */
  | { ok: true; mediaType: Hl7MediaType; charset: string | undefined }
  | { ok: false; reason: string };

function isHl7MediaType(value: string): value is Hl7MediaType {
  return (hl7MediaTypes as readonly string[]).includes(value);
}

/** Reads a Content-Type header; the reason names what is wrong, for a 415 problem body. */
export function parseHl7ContentType(header: string | undefined): Hl7ContentType {
  const accepted = `send one of ${hl7MediaTypes.join(', ')}`;
  if (header === undefined || header.trim() === '') return { ok: false, reason: `Content-Type is missing: ${accepted}` };
  let mime: MIMEType;
  try {
    mime = new MIMEType(header);
  } catch {
    return { ok: false, reason: `Content-Type is not a media type: ${accepted}` };
  }
  if (!isHl7MediaType(mime.essence)) return { ok: false, reason: `Content-Type ${mime.essence} is not accepted: ${accepted}` };
  const declared = mime.params.get('charset');
  if (declared === null || declared.trim() === '') return { ok: true, mediaType: mime.essence, charset: undefined };
  const charset = canonicalCharset(declared);
  // The label comes from the client, not from a message: safe to name it back.
  if (charset === null) return { ok: false, reason: `charset ${declared.slice(0, 40)} is not supported` };
  return { ok: true, mediaType: mime.essence, charset };
}

/**
 * The response's Content-Type: the request's media type, with the charset the ACK is encoded in
 * (none when unknown: a batch whose messages used different charsets).
 */
export function formatHl7ContentType(mediaType: Hl7MediaType, charset: string | undefined): string {
  return charset === undefined ? mediaType : `${mediaType}; charset=${charset}`;
}
