import type { Options } from 'amqplib';
import type { SinkEvent } from '../sink.ts';

// What one stored event becomes on the wire: routing key, body and properties. Pure, so the mapping
// can be read and tested without a broker.

export const hl7ContentType = 'x-application/hl7-v2+er7';

/**
 * Word written for an absent (or empty) MSH-9 part. Lowercase on purpose: HL7 codes are uppercase
 * (table 0076 / 0003), so `hl7.unknown.unknown` cannot be mistaken for a real message type.
 */
export const absentRoutingWord = 'unknown';

/**
 * A topic routing key is words separated by `.`; `*` and `#` are wildcards only in bindings, but a
 * dot inside MSH-9.1 would add a word. Anything outside [A-Za-z0-9_-] becomes `_`.
 */
function routingWord(value: string | null): string {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? absentRoutingWord : trimmed.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** `hl7.<MSH-9.1>.<MSH-9.2>`, e.g. `hl7.ADT.A01`; absent parts are `unknown`. */
export function routingKeyFor(event: Pick<SinkEvent, 'messageType' | 'triggerEvent'>): string {
  return `hl7.${routingWord(event.messageType)}.${routingWord(event.triggerEvent)}`;
}

/** The raw bytes' content type: a charset parameter only when the stored charset is not UTF-8. */
export function rawContentType(charset: string | null): string {
  if (charset === null || charset.trim() === '' || /^utf-?8$/i.test(charset.trim())) return hl7ContentType;
  return `${hl7ContentType}; charset=${charset.trim()}`;
}

export type AmqpMessage = { routingKey: string; content: Buffer; options: Options.Publish };

/**
 * The message for one event: the FHIR sink's output when it ran on this route (its content type and
 * body), otherwise the exact bytes received. Headers identify the event for consumers; headers with
 * no value are left out rather than sent empty.
 */
export function buildAmqpMessage(event: SinkEvent): AmqpMessage {
  const fhir = event.upstream.get('fhir');
  const headers: Record<string, string | number> = {
    'x-hl7-message-id': event.id,
    'x-hl7-ordering-key': event.orderingKey,
    'x-hl7-received-at': event.receivedAt.toISOString(),
  };
  if (event.controlId !== null) headers['x-hl7-control-id'] = event.controlId;
  if (event.messageType !== null) headers['x-hl7-type'] = event.messageType;
  if (event.triggerEvent !== null) headers['x-hl7-event'] = event.triggerEvent;
  if (event.version !== null) headers['x-hl7-version'] = event.version;
  return {
    routingKey: routingKeyFor(event),
    content: fhir?.body ?? event.raw,
    options: {
      persistent: true,
      // Unroutable (no queue bound for the key): RabbitMQ returns it, and we log that; see amqp-link.ts.
      mandatory: true,
      messageId: String(event.id),
      contentType: fhir?.contentType ?? rawContentType(event.charset),
      // AMQP 0-9-1 timestamps are whole seconds; x-hl7-received-at keeps the milliseconds.
      timestamp: Math.floor(event.receivedAt.getTime() / 1000),
      headers,
    },
  };
}
