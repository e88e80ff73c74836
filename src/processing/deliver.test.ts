import { describe, expect, it } from 'vitest';
import { processingRouteSchema, type ProcessingRoute, type SinkName } from '../config/schema.ts';
import type { ClaimedEvent, Outcome } from './claim-steps.ts';
import { deliverClaim, type DeliverContext } from './deliver.ts';
import { silentObserver } from './observer.ts';
import type { Sink, SinkEvent } from './sink.ts';

// deliverClaim's calls and outcomes in ordered modes: one event per lane per call, or whole lanes
// when the sinks keep order within a call (Sink.keepsOrder). The sinks here fail by control id and,
// like the amqp sink, report everything after a failure as failed.

const event = (id: number, lane: string, type = 'ADT'): ClaimedEvent => ({
  id,
  receivedAt: new Date(0),
  controlId: `C${id}`,
  messageType: type,
  triggerEvent: 'A01',
  version: '2.5',
  sendingApplication: null,
  sendingFacility: null,
  orderingKey: lane,
  charset: null,
  raw: Buffer.from(''),
  attempts: 0,
});

/** A sink that records each call's ids and fails the ids in `failing` (and, in order, all after). */
function orderedSink(name: SinkName, failing: Set<number>, calls: string[]): Sink {
  return {
    name,
    keepsOrder: true,
    deliver: async (events: readonly SinkEvent[]) => {
      calls.push(`${name}:${events.map((e) => e.id).join(',')}`);
      const first = events.findIndex((e) => failing.has(e.id));
      return events.map((_, i) => (first === -1 || i < first ? { ok: true as const } : { ok: false as const, permanent: false, error: 'down' }));
    },
  };
}

const route = (sinks: SinkName[], type?: string[]): ProcessingRoute => processingRouteSchema.parse({ match: type === undefined ? {} : { type }, sinks });

function context(routes: ProcessingRoute[], sinks: Sink[], wholeLanes: boolean): DeliverContext {
  return {
    routes,
    sinks: new Map(sinks.map((s) => [s.name, s])),
    retry: { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 1000 },
    ordered: true,
    wholeLanes,
    observer: silentObserver,
    random: () => 0,
    lost: () => false,
  };
}

const kinds = (outcomes: Map<number, Outcome>): Record<number, string> => Object.fromEntries([...outcomes].map(([id, o]) => [id, o.kind]));

// Lane A: 1, 2, 3; lane B: 4, 5 (claim order: lane by lane, id order).
const claim = [event(1, 'A'), event(2, 'A'), event(3, 'A'), event(4, 'B'), event(5, 'B')];

describe('delivering a claim in an ordered mode', () => {
  const cases = [
    {
      name: 'one event per lane per call',
      wholeLanes: false,
      failing: [],
      calls: ['amqp:1,4', 'amqp:2,5', 'amqp:3'],
      outcomes: { 1: 'processed', 2: 'processed', 3: 'processed', 4: 'processed', 5: 'processed' },
    },
    {
      name: 'whole lanes: one call',
      wholeLanes: true,
      failing: [],
      calls: ['amqp:1,2,3,4,5'],
      outcomes: { 1: 'processed', 2: 'processed', 3: 'processed', 4: 'processed', 5: 'processed' },
    },
    {
      name: 'whole lanes: what follows a failure in its lane waits again without an attempt spent',
      wholeLanes: true,
      failing: [2],
      calls: ['amqp:1,2,3,4,5'],
      // The sink failed 3, 4 and 5 with 2 (in order); 3 follows 2 in lane A, 4 and 5 are lane B's.
      outcomes: { 1: 'processed', 2: 'retry', 3: 'released', 4: 'retry', 5: 'released' },
    },
    {
      name: 'one per lane: a failure stops its lane only',
      wholeLanes: false,
      failing: [2],
      calls: ['amqp:1,4', 'amqp:2,5'],
      outcomes: { 1: 'processed', 2: 'retry', 3: 'released', 4: 'processed', 5: 'retry' },
    },
  ];
  it.each(cases)('$name', async ({ wholeLanes, failing, calls, outcomes }) => {
    const seen: string[] = [];
    const ctx = context([route(['amqp'])], [orderedSink('amqp', new Set(failing), seen)], wholeLanes);
    const result = await deliverClaim(ctx, claim);
    expect(seen).toEqual(calls);
    expect(kinds(result)).toEqual(outcomes);
  });

  it('whole lanes never put a later event of a lane ahead of an earlier one on another route', async () => {
    const seen: string[] = [];
    // Lane A: ADT 1, ORU 2, ADT 3: three runs, so three rounds; lane B: ADT 4, 5 in the first.
    const mixed = [event(1, 'A'), event(2, 'A', 'ORU'), event(3, 'A'), event(4, 'B'), event(5, 'B')];
    const ctx = context([route(['amqp'], ['ADT']), route(['log'], ['ORU'])], [orderedSink('amqp', new Set(), seen), orderedSink('log', new Set(), seen)], true);
    const result = await deliverClaim(ctx, mixed);
    expect(seen).toEqual(['amqp:1,4,5', 'log:2', 'amqp:3']);
    expect(Object.values(kinds(result))).toEqual(['processed', 'processed', 'processed', 'processed', 'processed']);
  });
});
