import type { MapOptions, MapResult, ResourceWrite } from '../projection.ts';
import { adtEvents, mapAdt } from './adt.ts';
import type { MapContext } from './context.ts';
import { isKnownZone, toFhirInstant } from './dtm-datetime.ts';
import { mapOru } from './oru.ts';
import { mapSiu, siuEvents } from './siu.ts';
import { compText, field, readV2, segmentsOf } from './v2-reader.ts';

// HL7 v2 → FHIR R4, pure: one stored message text in, the writes it implies out (no I/O, no clock,
// no logs). What maps to what: docs/fhir-mapping.md. Errors name fields and types, never values.

export function mapMessage(raw: string, options: MapOptions): MapResult {
  if (!isKnownZone(options.defaultTimeZone)) return { ok: false, error: 'fhir.defaultTimeZone is not a known IANA time zone' };
  const read = readV2(raw);
  if (!read.ok) return read;
  const message = read.message;
  const ctx: MapContext = { d: message.d, options };
  const msh = message.segments[0];
  const type = compText(field(msh, 9), 1, ctx.d) ?? '';
  const event = compText(field(msh, 9), 2, ctx.d) ?? compText(field(segmentsOf(message, 'EVN')[0], 1), 1, ctx.d) ?? '';
  const eventTime =
    toFhirInstant(compText(field(segmentsOf(message, 'EVN')[0], 2), 1, ctx.d), options.defaultTimeZone) ??
    toFhirInstant(compText(field(msh, 7), 1, ctx.d), options.defaultTimeZone);
  if (eventTime === undefined) return { ok: false, error: 'neither EVN-2 nor MSH-7 is a valid timestamp' };
  let result: { ok: true; writes: ResourceWrite[] } | { ok: false; error: string };
  if (type === 'ADT' && adtEvents.has(event)) result = mapAdt(message, event, ctx);
  else if (type === 'ORU' && event === 'R01') result = mapOru(message, ctx);
  else if (type === 'SIU' && siuEvents.has(event)) result = mapSiu(message, event, ctx);
  else return { ok: false, error: `${safe(type)}^${safe(event)} is not mapped to FHIR` };
  if (!result.ok) return result;
  return { ok: true, projection: { eventTime, writes: result.writes } };
}

/** A message type or event is a code, but it comes from the sender: keep only what a code can hold. */
function safe(code: string): string {
  return /^[A-Z0-9_]{1,7}$/i.test(code) ? code : '(unreadable)';
}
