import { hash } from 'node:crypto';
import type { ProcessingConfig } from '../config/schema.ts';

// The lane an event is ordered in. Keys hold identifiers (PID-3 is PHI), so only a digest is stored:
// the column, the lane table and anything derived from them stay free of PHI.

export type OrderingMode = ProcessingConfig['ordering'];

/** The header and patient fields a key is made of, as stored in hl7_message. */
export type KeyFields = {
  patientId: string | null;
  patientAuthority: string | null;
  sendingApplication: string | null;
  sendingFacility: string | null;
};

/** The one lane of `sequential`. */
export const sequentialLane = 'sequential';

const digest = (parts: readonly string[]): string => hash('sha256', parts.join('\u001f'), 'hex');

/** MSH-3 + MSH-4: a feed. */
export function senderKey(row: KeyFields): string {
  return `s:${digest([row.sendingApplication ?? '', row.sendingFacility ?? ''])}`;
}

/** PID-3 value + PID-3.4; without a patient id, a key per MSH-3/MSH-4 so the event still has an order. */
export function patientKey(row: KeyFields): string {
  if (row.patientId === null || row.patientId === '') return senderKey(row);
  return `p:${digest([row.patientId, row.patientAuthority ?? ''])}`;
}

/**
 * The ordering_key of a row under `mode`. `parallel` has no lanes; its rows carry the patient key
 * (sinks pass it on, e.g. as an AMQP header), so switching to per-patient later needs no re-keying.
 */
export function orderingKeyFor(mode: OrderingMode, row: KeyFields): string {
  switch (mode) {
    case 'sequential':
      return sequentialLane;
    case 'per-sender':
      return senderKey(row);
    case 'per-patient':
    case 'parallel':
      return patientKey(row);
  }
}

/** `parallel` and `per-patient` key rows alike (see orderingKeyFor). */
export function keyingOf(mode: OrderingMode): 'sequential' | 'per-sender' | 'per-patient' {
  return mode === 'parallel' ? 'per-patient' : mode;
}
