import type { MapOptions, MapResult, Projection } from '../../fhir/projection.ts';
import { eventTimeOf, type WriteOutcome } from '../../fhir/store/apply.ts';
import type { FhirStore } from '../../fhir/store/fhir-store.ts';
import { decodeMessage } from '../../hl7/charset.ts';
import type { Sink, SinkEvent, SinkOutput, SinkResult } from '../sink.ts';

// The `fhir` sink: each event's bytes, decoded in their charset, are mapped (src/fhir/map, injected)
// to a projection and applied to the FHIR store; later sinks get the projection as a FHIR R4
// transaction Bundle. The events of a batch are applied in order in few transactions (few commits),
// so an ordered call may hold whole lanes (Sink.keepsOrder).

export type MapMessage = (raw: string, options: MapOptions) => MapResult;
export type FhirSinkLog = { warn(bindings: object, message: string): void; debug(bindings: object, message: string): void };

export type FhirSinkDeps = { fhirStore: FhirStore; map: MapMessage; options: MapOptions; log: FhirSinkLog };

export const fhirBundleContentType = 'application/fhir+json';

export function createFhirSink(deps: FhirSinkDeps): Sink {
  return { name: 'fhir', wideCalls: true, keepsOrder: true, deliver: (events, call) => deliverBatch(deps, events, call?.ordered === true) };
}

/**
 * Resource writes per store transaction. A batch of 100 ORUs of 100 OBX each is 10,000 resources:
 * one transaction of that size outlived the store's deadline (db.queryTimeoutMs + connectTimeoutMs)
 * on every attempt, so those events failed for good. Groups of events stay whole (an event's
 * projection is never split), and a single larger event is applied alone.
 */
const maxWritesPerTransaction = 300;

/** Consecutive projections in groups of at most maxWritesPerTransaction writes (at least one each). */
function transactionsOf(projections: readonly Projection[]): Projection[][] {
  const groups: Projection[][] = [];
  let current: Projection[] = [];
  let writes = 0;
  for (const projection of projections) {
    if (current.length > 0 && writes + projection.writes.length > maxWritesPerTransaction) {
      groups.push(current);
      current = [];
      writes = 0;
    }
    current.push(projection);
    writes += projection.writes.length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** The result of an event held back because an earlier one of its lane failed in the same call. */
const heldBack: SinkResult = { ok: false, permanent: false, error: 'fhir: an earlier event of its lane failed' };

/**
 * Each event mapped; the projections that can apply are applied in event order, a few events per
 * transaction (transactionsOf). When a transaction fails, its events and every later one are
 * retried (store trouble passes); the earlier ones are done. In an `ordered` call (Sink.keepsOrder)
 * an event that cannot be mapped holds back the later events of its lane: they are not applied.
 */
async function deliverBatch(deps: FhirSinkDeps, events: readonly SinkEvent[], ordered: boolean): Promise<SinkResult[]> {
  const failedLanes = new Set<string>();
  const results: (SinkResult | Projection)[] = events.map((event) => {
    if (ordered && failedLanes.has(event.orderingKey)) return heldBack;
    const result = mapEvent(deps, event);
    if (ordered && !('writes' in result)) failedLanes.add(event.orderingKey);
    return result;
  });
  const projections = results.filter((r): r is Projection => 'writes' in r);
  if (projections.length === 0) return results as SinkResult[];
  const applied = new Set<Projection>();
  let failure: string | null = null;
  for (const group of transactionsOf(projections)) {
    try {
      const outcomes: WriteOutcome[][] = await deps.fhirStore.applyAll(group);
      const changed = outcomes.flat().filter((o) => o === 'created' || o === 'updated').length;
      deps.log.debug({ events: group.length, writes: outcomes.flat().length, changed }, 'fhir: projections applied');
      for (const projection of group) applied.add(projection);
    } catch (err) {
      // The cause's name only (no content).
      failure = `fhir store: ${err instanceof Error ? err.name : 'error'}`;
      break;
    }
  }
  return results.map((r) => {
    if (!('writes' in r)) return r;
    return applied.has(r) ? { ok: true, output: lazyBundleOf(r) } : { ok: false, permanent: false, error: failure ?? 'fhir store: not applied' };
  });
}

/** The event's projection, or its permanent failure. */
function mapEvent(deps: FhirSinkDeps, event: SinkEvent): SinkResult | Projection {
  const { text } = decodeMessage(event.raw, event.charset ?? '', 'UTF-8');
  const mapped = deps.map(text, deps.options);
  const where = { messageId: event.id, messageType: event.messageType, triggerEvent: event.triggerEvent };
  if (!mapped.ok) {
    deps.log.warn(where, 'fhir: the message cannot be mapped');
    return { ok: false, permanent: true, error: `fhir mapping: ${mapped.error}` };
  }
  try {
    eventTimeOf(mapped.projection);
  } catch (err) {
    deps.log.warn(where, 'fhir: the projection cannot apply');
    return { ok: false, permanent: true, error: `fhir projection: ${err instanceof Error ? err.message : 'invalid'}` };
  }
  // Each version the store writes records the message it came from (GET /api/messages/:id/fhir).
  return { ...mapped.projection, messageId: event.id };
}

/**
 * The bundle, serialised when a later sink first reads it: on a route with no later sink (the
 * common `fhir` alone) it never is. Serialising it took 0.75 ms for an ORU of 100 OBX (a 100 KB
 * bundle, then base64; timed in process), against 2-4 ms for mapping it.
 */
function lazyBundleOf(projection: Projection): SinkOutput {
  let body: Buffer | undefined;
  return {
    contentType: fhirBundleContentType,
    get body(): Buffer {
      body ??= transactionBundleOf(projection).body;
      return body;
    },
  };
}

/**
 * The projection as an R4 transaction: an upsert is a PUT of the resource, a patch a PATCH with a JSON
 * Patch document in a Binary (http.html#patch), `add` replacing a member, `remove` for null.
 */
export function transactionBundleOf(projection: Projection): SinkOutput {
  const entry = projection.writes.map((write) => {
    if (write.op === 'upsert') {
      const url = `${write.resource.resourceType}/${write.resource.id}`;
      return { fullUrl: url, resource: write.resource, request: { method: 'PUT', url } };
    }
    const url = `${write.resourceType}/${write.id}`;
    const patch = Object.entries(write.set).map(([key, value]) => (value === null ? { op: 'remove', path: `/${key}` } : { op: 'add', path: `/${key}`, value }));
    const data = Buffer.from(JSON.stringify(patch), 'utf8').toString('base64');
    return { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data }, request: { method: 'PATCH', url } };
  });
  const bundle = { resourceType: 'Bundle', type: 'transaction', timestamp: projection.eventTime, entry };
  return { contentType: fhirBundleContentType, body: Buffer.from(JSON.stringify(bundle), 'utf8') };
}
