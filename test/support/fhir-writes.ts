import type { FhirResource, ResourceWrite } from '../../src/fhir/projection.ts';

// What a write leaves in the store, for validating a projection without a store: an upsert is the
// resource; a patch that may create is its `set` alone; a patch that may not is its `set` over a
// minimal valid resource of that type (what an earlier event stored). Removals (null) drop the key.

const stubs: Record<string, Record<string, unknown>> = {
  Encounter: { status: 'in-progress', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' } },
  Appointment: {
    status: 'booked',
    start: '2024-01-01T10:00:00+00:00',
    end: '2024-01-01T10:30:00+00:00',
    participant: [{ actor: { display: 'someone' }, status: 'accepted' }],
  },
  Patient: {},
};

export function resourceOf(write: ResourceWrite): FhirResource {
  if (write.op === 'upsert') return write.resource;
  const base = write.create ? {} : (stubs[write.resourceType] ?? {});
  const merged: Record<string, unknown> = { resourceType: write.resourceType, id: write.id, ...base };
  for (const [key, value] of Object.entries(write.set)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged as FhirResource;
}
