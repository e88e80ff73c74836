import { hash } from 'node:crypto';

// Deterministic resource ids (decisions.md "FHIR"): the lowercase hex SHA-256 of the resource type
// and the business identifiers that name the resource, so the same event always writes the same
// resource, on every machine, and reprocessing is an update, not a copy. The type is part of the
// hash, so an Encounter and an Observation keyed by the same text never share an id. 64 hex
// characters fit FHIR's `[A-Za-z0-9\-\.]{1,64}`. The parts are written as a JSON array, so
// ["a|b", "c"] and ["a", "b|c"] differ.

export function resourceId(resourceType: string, parts: readonly string[]): string {
  // One-shot crypto.hash (Node >= 20.12; engines says >= 20.15): a Hash object per id was a tenth of
  // an ORU's mapping (100 ids), the text hashed is the same (UTF-8 of a string).
  return hash('sha256', JSON.stringify([resourceType, ...parts]), 'hex');
}

/**
 * Patient: PID-3.1 + PID-3.4 of the identifying repetition (src/hl7/patient.ts: the MR one, else the
 * first with a value), the authority as written (its HD sub-components joined by `&`), '' without one.
 */
export function patientId(value: string, authority: string | null): string {
  return resourceId('Patient', [value, authority ?? '']);
}

/**
 * Encounter: PV1-19.1 + PV1-19.4 (the visit number and its authority), not the patient: after an
 * A40 merge, the A03 that closes the visit names the survivor, and must still find the Encounter.
 */
export function encounterId(visit: string, authority: string): string {
  return resourceId('Encounter', [visit, authority]);
}
