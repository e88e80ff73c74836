import { describe, expect, it } from 'vitest';
import { formatHl7ContentType, parseHl7ContentType } from './content-type.ts';

describe('parseHl7ContentType', () => {
  it.each([
    ['application/hl7-v2', 'application/hl7-v2', undefined],
    ['x-application/hl7-v2+er7', 'x-application/hl7-v2+er7', undefined],
    ['Application/HL7-V2; Charset=utf-8', 'application/hl7-v2', 'UTF-8'],
    ['x-application/hl7-v2+er7; charset="ISO-8859-1"', 'x-application/hl7-v2+er7', 'ISO-8859-1'],
    ['application/hl7-v2;charset=windows-1252', 'application/hl7-v2', 'windows-1252'],
    ['application/hl7-v2; charset=us-ascii; foo=bar', 'application/hl7-v2', 'US-ASCII'],
    ['application/hl7-v2; charset=', 'application/hl7-v2', undefined],
  ])('accepts %j as %s with charset %s', (header, mediaType, charset) => {
    expect(parseHl7ContentType(header)).toEqual({ ok: true, mediaType, charset });
  });

  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['application/json', 'application/json is not accepted'],
    ['application/hl7-v2+xml', 'is not accepted'],
    ['text/html; charset=utf-8', 'is not accepted'],
    ['not a type', 'not a media type'],
    ['application/hl7-v2; charset=klingon-8', 'charset klingon-8 is not supported'],
    // A browser may send text/plain cross-site without a CORS preflight (a "simple request"):
    // accepting it would let any web page a user opens post messages with the user's client certificate.
    ['text/plain', 'text/plain is not accepted'],
    ['text/plain; charset=utf-8', 'text/plain is not accepted'],
    ['application/x-www-form-urlencoded', 'is not accepted'],
    ['multipart/form-data; boundary=x', 'is not accepted'],
  ])('refuses %j (%s)', (header, reason) => {
    const result = parseHl7ContentType(header);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('formats the response type with the charset the ACK is in', () => {
    expect(formatHl7ContentType('x-application/hl7-v2+er7', 'ISO-8859-1')).toBe('x-application/hl7-v2+er7; charset=ISO-8859-1');
    expect(formatHl7ContentType('application/hl7-v2', undefined)).toBe('application/hl7-v2');
  });
});
