import type { SinkName } from '../config/schema.ts';

// The contract between the processing engine and what it feeds. A sink is small: it gets a batch of
// events that share nothing but the route, and answers one result per event, in the same order.
// Delivery is at-least-once (a takeover after a crash may deliver an event again), so every sink must
// be idempotent: the FHIR sink writes by deterministic ids, the AMQP sink stamps the stored message id.

/** One stored event as a sink sees it: header fields as stored, and the exact bytes received. */
export type SinkEvent = {
  /** hl7_message.id: the event's identity and its receive order within the store. */
  id: number;
  receivedAt: Date;
  controlId: string | null;
  messageType: string | null;
  triggerEvent: string | null;
  version: string | null;
  sendingApplication: string | null;
  sendingFacility: string | null;
  /** The ordering key (patient key, sender key, …) the event was processed under. */
  orderingKey: string;
  /** Charset the raw bytes are in (MSH-18 as resolved at ingest); null means UTF-8. */
  charset: string | null;
  raw: Buffer;
  /** What earlier sinks of the same route produced for this event (the FHIR sink's bundle for AMQP). */
  upstream: ReadonlyMap<SinkName, SinkOutput>;
};

/** A body an earlier sink produced for later ones, e.g. the FHIR transaction bundle. */
export type SinkOutput = { contentType: string; body: Buffer };

export type SinkResult =
  | { ok: true; output?: SinkOutput }
  /**
   * `permanent`: trying again cannot help (a mapping that cannot apply): the event fails at once.
   * Otherwise it is retried with backoff. `error` is shown to operators: no message content, no PHI.
   */
  | { ok: false; permanent: boolean; error: string };

/** How the engine makes a call. */
export type SinkCall = {
  /**
   * The events' lanes (orderingKey) keep order (every mode but parallel). A keepsOrder sink that
   * fails an event then fails the later events of its lane in the call.
   */
  ordered: boolean;
};

export type Sink = {
  readonly name: SinkName;
  /** One result per event, same order. Throwing counts as a transient failure of every event. */
  deliver(events: readonly SinkEvent[], call?: SinkCall): Promise<SinkResult[]>;
  /** Ready to take events (e.g. broker connected); a sink without a check is always ready. */
  ready?(): boolean;
  /**
   * Each call has a high fixed cost (the fhir sink: a database transaction per call). The engine
   * then keeps many lanes per ordered claim, so each call (one event per lane, unless it holds
   * whole lanes) stays large, rather than draining fewer lanes deeper in more, smaller calls
   * (lane-budget.ts).
   */
  readonly wideCalls?: boolean;
  /**
   * Takes a call's events in the order given, and once one fails reports every later one of its lane
   * as failed too, in an ordered call (amqp: one channel, results in order, so every later one; fhir:
   * the later ones of the lane are not applied; log and noop never fail). When every sink of the
   * routes does, an ordered call may hold several events of a lane, in lane order, instead of one
   * (deliver.ts): a claim is then one call per sink, not one per event of its deepest lane.
   */
  readonly keepsOrder?: boolean;
  close?(): Promise<void>;
};

/** What the engine needs to know of the sinks the routes name (the others never get a call). */
export function routedTraits(routes: readonly { sinks: readonly SinkName[] }[], sinks: ReadonlyMap<SinkName, Sink>): { wideCalls: boolean; wholeLanes: boolean } {
  const routed = [...new Set(routes.flatMap((route) => route.sinks))];
  return {
    wideCalls: routed.some((name) => sinks.get(name)?.wideCalls === true),
    wholeLanes: routed.length > 0 && routed.every((name) => sinks.get(name)?.keepsOrder === true),
  };
}
