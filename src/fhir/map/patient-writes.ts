import type { FhirResource, ResourceWrite } from '../projection.ts';
import { compact } from './compact.ts';
import type { Json } from './context.ts';

// ADT events are the patient's demographics of record: their PID replaces the Patient. ORU and SIU
// carry a PID too, often a thinner one (no address, no telecom): they only set the elements their
// PID does carry, and create the Patient when it is not known yet, so their references resolve.

export function upsertResource(resource: Json): ResourceWrite {
  return { op: 'upsert', resource: compact(resource) as FhirResource };
}

export function patchPatient(patient: Json): ResourceWrite {
  const { resourceType, id, ...rest } = compact(patient);
  return { op: 'patch', resourceType: String(resourceType), id: String(id), set: rest, create: true };
}
