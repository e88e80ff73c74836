import { describe, expect, it } from 'vitest';
import type { SinkEvent } from '../sink.ts';
import { buildAmqpMessage, rawContentType, routingKeyFor } from './amqp-message.ts';

const raw = Buffer.from('MSH|^~\\&|APP|FAC|||20260101120000||ADT^A01|C1|P|2.5\rPID|1||123^^^HOSP\r', 'latin1');

function event(overrides: Partial<SinkEvent> = {}): SinkEvent {
  return {
    id: 42,
    receivedAt: new Date('2026-01-02T03:04:05.678Z'),
    controlId: 'C1',
    messageType: 'ADT',
    triggerEvent: 'A01',
    version: '2.5',
    sendingApplication: 'APP',
    sendingFacility: 'FAC',
    orderingKey: 'p:HOSP:123',
    charset: null,
    raw,
    upstream: new Map(),
    ...overrides,
  };
}

describe('routingKeyFor', () => {
  it.each([
    ['ADT', 'A01', 'hl7.ADT.A01'],
    ['ORU', 'R01', 'hl7.ORU.R01'],
    [null, null, 'hl7.unknown.unknown'],
    ['ACK', null, 'hl7.ACK.unknown'],
    ['', '  ', 'hl7.unknown.unknown'],
    ['A.B', 'x*#y', 'hl7.A_B.x__y'],
    [' ADT ', 'A01', 'hl7.ADT.A01'],
  ])('type %j event %j → %s', (messageType, triggerEvent, key) => {
    expect(routingKeyFor({ messageType, triggerEvent })).toBe(key);
  });
});

describe('rawContentType', () => {
  it.each([
    [null, 'x-application/hl7-v2+er7'],
    ['UTF-8', 'x-application/hl7-v2+er7'],
    ['utf8', 'x-application/hl7-v2+er7'],
    ['ISO-8859-1', 'x-application/hl7-v2+er7; charset=ISO-8859-1'],
    ['windows-1252', 'x-application/hl7-v2+er7; charset=windows-1252'],
  ])('charset %j → %s', (charset, type) => {
    expect(rawContentType(charset)).toBe(type);
  });
});

describe('buildAmqpMessage', () => {
  it('sends the raw bytes, persistent, with the stored id, receipt time and identifying headers', () => {
    const message = buildAmqpMessage(event());
    expect(message.routingKey).toBe('hl7.ADT.A01');
    expect(message.content).toBe(raw);
    expect(message.options).toEqual({
      persistent: true,
      mandatory: true,
      messageId: '42',
      contentType: 'x-application/hl7-v2+er7',
      timestamp: Math.floor(Date.parse('2026-01-02T03:04:05.678Z') / 1000),
      headers: {
        'x-hl7-message-id': 42,
        'x-hl7-control-id': 'C1',
        'x-hl7-ordering-key': 'p:HOSP:123',
        'x-hl7-type': 'ADT',
        'x-hl7-event': 'A01',
        'x-hl7-version': '2.5',
        'x-hl7-received-at': '2026-01-02T03:04:05.678Z',
      },
    });
  });

  it('sends the FHIR sink output with its content type when the FHIR sink ran first', () => {
    const body = Buffer.from('{"resourceType":"Bundle","type":"transaction"}');
    const message = buildAmqpMessage(event({ charset: 'ISO-8859-1', upstream: new Map([['fhir', { contentType: 'application/fhir+json', body }]]) }));
    expect(message.content).toBe(body);
    expect(message.options.contentType).toBe('application/fhir+json');
    expect(message.options.messageId).toBe('42');
  });

  it('names the charset of raw bytes that are not UTF-8', () => {
    expect(buildAmqpMessage(event({ charset: 'ISO-8859-1' })).options.contentType).toBe('x-application/hl7-v2+er7; charset=ISO-8859-1');
  });

  it('leaves out headers whose field is absent instead of sending them empty', () => {
    const headers = buildAmqpMessage(event({ controlId: null, messageType: null, triggerEvent: null, version: null })).options.headers;
    expect(Object.keys(headers ?? {}).sort()).toEqual(['x-hl7-message-id', 'x-hl7-ordering-key', 'x-hl7-received-at']);
  });
});
