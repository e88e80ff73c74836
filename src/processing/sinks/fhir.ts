import type { MapOptions, MapResult, Projection } from '../../fhir/projection.ts';
import { ProjectionError } from '../../fhir/store/apply.ts';
import type { FhirStore } from '../../fhir/store/fhir-store.ts';
import { decodeMessage } from '../../hl7/charset.ts';
import type { Sink, SinkEvent, SinkOutput, SinkResult } from '../sink.ts';

// The `fhir` sink: each event's bytes, decoded in their charset, are mapped (src/fhir/map, injected)
// to a projection and applied to the FHIR store; later sinks get the projection as a FHIR R4
// transaction Bundle. Events of a batch are applied one after the other, in order.

export type MapMessage = (raw: string, options: MapOptions) => MapResult;
export type FhirSinkLog = { warn(bindings: object, message: string): void; debug(bindings: object, message: string): void };

export type FhirSinkDeps = { fhirStore: FhirStore; map: MapMessage; options: MapOptions; log: FhirSinkLog };

export const fhirBundleContentType = 'application/fhir+json';

export function createFhirSink(deps: FhirSinkDeps): Sink {
  return {
    name: 'fhir',
    async deliver(events) {
      const results: SinkResult[] = [];
      for (const event of events) {
        // After a failure that may pass, later events wait their turn: none overtakes an earlier one.
        const blocked = results.some((r) => !r.ok && !r.permanent);
        results.push(blocked ? { ok: false, permanent: false, error: 'not tried: an earlier event of the batch failed' } : await deliverOne(deps, event));
      }
      return results;
    },
  };
}

async function deliverOne(deps: FhirSinkDeps, event: SinkEvent): Promise<SinkResult> {
  const { text } = decodeMessage(event.raw, event.charset ?? '', 'UTF-8');
  const mapped = deps.map(text, deps.options);
  if (!mapped.ok) {
    deps.log.warn({ messageId: event.id, messageType: event.messageType, triggerEvent: event.triggerEvent }, 'fhir: the message cannot be mapped');
    return { ok: false, permanent: true, error: `fhir mapping: ${mapped.error}` };
  }
  try {
    const outcomes = await deps.fhirStore.apply(mapped.projection);
    deps.log.debug({ messageId: event.id, writes: outcomes.length, changed: outcomes.filter((o) => o === 'created' || o === 'updated').length }, 'fhir: projection applied');
    return { ok: true, output: transactionBundleOf(mapped.projection) };
  } catch (err) {
    if (err instanceof ProjectionError) return { ok: false, permanent: true, error: `fhir projection: ${err.message}` };
    // Store trouble passes: retried with backoff. The cause's name only, never values.
    return { ok: false, permanent: false, error: `fhir store: ${err instanceof Error ? err.name : 'error'}` };
  }
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
