import type { MapOptions, MapResult, Projection } from '../../fhir/projection.ts';
import { eventTimeOf, type WriteOutcome } from '../../fhir/store/apply.ts';
import type { FhirStore } from '../../fhir/store/fhir-store.ts';
import { decodeMessage } from '../../hl7/charset.ts';
import type { Sink, SinkEvent, SinkOutput, SinkResult } from '../sink.ts';

// The `fhir` sink: each event's bytes, decoded in their charset, are mapped (src/fhir/map, injected)
// to a projection and applied to the FHIR store; later sinks get the projection as a FHIR R4
// transaction Bundle. The events of a batch are applied in order in one transaction (one commit).

export type MapMessage = (raw: string, options: MapOptions) => MapResult;
export type FhirSinkLog = { warn(bindings: object, message: string): void; debug(bindings: object, message: string): void };

export type FhirSinkDeps = { fhirStore: FhirStore; map: MapMessage; options: MapOptions; log: FhirSinkLog };

export const fhirBundleContentType = 'application/fhir+json';

export function createFhirSink(deps: FhirSinkDeps): Sink {
  return { name: 'fhir', deliver: (events) => deliverBatch(deps, events) };
}

/** Each event mapped; the projections that can apply are applied in event order in ONE transaction. */
async function deliverBatch(deps: FhirSinkDeps, events: readonly SinkEvent[]): Promise<SinkResult[]> {
  const results: (SinkResult | Projection)[] = events.map((event) => mapEvent(deps, event));
  const projections = results.filter((r): r is Projection => 'writes' in r);
  if (projections.length === 0) return results as SinkResult[];
  let outcomes: WriteOutcome[][];
  try {
    outcomes = await deps.fhirStore.applyAll(projections);
  } catch (err) {
    // Store trouble passes: every event of the transaction is retried with backoff. The cause's name only.
    const error = `fhir store: ${err instanceof Error ? err.name : 'error'}`;
    return results.map((r) => ('writes' in r ? { ok: false, permanent: false, error } : r));
  }
  const changed = outcomes.flat().filter((o) => o === 'created' || o === 'updated').length;
  deps.log.debug({ events: projections.length, writes: outcomes.flat().length, changed }, 'fhir: projections applied');
  return results.map((r) => ('writes' in r ? { ok: true, output: transactionBundleOf(r) } : r));
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
  return mapped.projection;
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
