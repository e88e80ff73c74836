import { describe, expect, it } from 'vitest';
import { orderingKeyFor, sequentialLane } from './ordering-key.ts';

const row = { patientId: 'PAT-1', patientAuthority: 'HOSP', sendingApplication: 'APP', sendingFacility: 'FAC' };

describe('orderingKeyFor', () => {
  it('keys a patient by PID-3 and its authority, as a digest', () => {
    const key = orderingKeyFor('per-patient', row);
    expect(key).toMatch(/^p:[0-9a-f]{64}$/);
    expect(orderingKeyFor('per-patient', { ...row, sendingApplication: 'OTHER' })).toBe(key);
    expect(orderingKeyFor('per-patient', { ...row, patientAuthority: 'CLINIC' })).not.toBe(key);
    expect(orderingKeyFor('parallel', row)).toBe(key);
  });

  it('without a patient id, keys by sender so the event still has an order', () => {
    expect(orderingKeyFor('per-patient', { ...row, patientId: null })).toBe(orderingKeyFor('per-sender', row));
  });

  it('keys a sender by MSH-3 and MSH-4; sequential has one lane', () => {
    expect(orderingKeyFor('per-sender', row)).toMatch(/^s:[0-9a-f]{64}$/);
    expect(orderingKeyFor('per-sender', { ...row, sendingFacility: 'FAC2' })).not.toBe(orderingKeyFor('per-sender', row));
    expect(orderingKeyFor('sequential', row)).toBe(sequentialLane);
  });

  it('holds no identifier in clear', () => {
    for (const mode of ['per-patient', 'per-sender', 'parallel'] as const) expect(orderingKeyFor(mode, row)).not.toMatch(/PAT|HOSP|APP|FAC/);
  });
});
