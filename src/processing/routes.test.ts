import { describe, expect, it } from 'vitest';
import { processingRouteSchema } from '../config/schema.ts';
import { matchRoute, type RoutedFields } from './routes.ts';

const adt: RoutedFields = { messageType: 'ADT', triggerEvent: 'A01', version: '2.5.1', sendingApplication: 'EPIC', sendingFacility: 'NORTH' };
const routes = [
  { match: { type: ['SIU'], sendingFacility: ['SOUTH'] }, sinks: ['amqp'] },
  { match: { type: ['ADT', 'ORU'], event: ['A01', 'A08', 'R01'] }, sinks: ['fhir', 'amqp'] },
  { match: { version: ['2.3'] }, sinks: ['log'] },
].map((r) => processingRouteSchema.parse(r));

describe('matchRoute', () => {
  it.each([
    ['the first route whose every key matches', adt, 1],
    ['any value of a list', { ...adt, messageType: 'ORU', triggerEvent: 'R01' }, 1],
    ['sending facility too', { ...adt, messageType: 'SIU', triggerEvent: 'S12', sendingFacility: 'SOUTH' }, 0],
    ['version', { ...adt, triggerEvent: 'A40', version: '2.3' }, 2],
  ] as const)('%s', (_name, event, index) => {
    expect(matchRoute(routes, event)).toMatchObject({ index });
  });

  it.each([
    ['a key that does not match', { ...adt, messageType: 'SIU', triggerEvent: 'S12', sendingFacility: 'NORTH' }, 'no route matches SIU^S12 (v2.5.1)'],
    ['a missing header field never matches a list', { ...adt, triggerEvent: null }, 'no route matches ADT^? (v2.5.1)'],
  ] as const)('no route: %s, with a reason naming type, event and version only', (_name, event, reason) => {
    expect(matchRoute(routes, event)).toEqual({ route: null, reason });
  });

  it('an empty match takes everything', () => {
    expect(matchRoute([processingRouteSchema.parse({ sinks: ['noop'] })], { ...adt, messageType: null })).toMatchObject({ index: 0 });
  });
});
