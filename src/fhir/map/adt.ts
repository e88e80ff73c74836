import type { ResourceWrite } from '../projection.ts';
import { patientId } from '../ids.ts';
import { compact } from './compact.ts';
import { eventStatus0003 } from './concept-maps.ts';
import type { MapContext } from './context.ts';
import { mapAllergy } from './al1-allergyintolerance.ts';
import { mapCondition } from './dg1-condition.ts';
import { mapRelatedPerson } from './nk1-relatedperson.ts';
import { mapPatient, patientIdOf } from './pid-patient.ts';
import { encounterClass, encounterIdOf, encounterPeriod, encounterStatus, mapEncounter } from './pv1-encounter.ts';
import { comp, field, repetitions, segmentsOf, text, type V2Message } from './v2-reader.ts';
import type { FhirResource } from '../projection.ts';

// ADT events (the IG's ADT_A01 message map for A01/A04/A05/A08; A28/A31 are person updates with no
// visit; A03, A11, A13 and A40 are decided in docs/fhir-mapping.md, as the IG has no map for them).

export type Writes = { ok: true; writes: ResourceWrite[] } | { ok: false; error: string };

const withVisit = new Set(['A01', 'A04', 'A05', 'A08']);
const personOnly = new Set(['A28', 'A31']);
const visitPatch = new Set(['A03', 'A11', 'A13']);
export const adtEvents = new Set([...withVisit, ...personOnly, ...visitPatch, 'A40']);

const upsert = (resource: Record<string, unknown>): ResourceWrite => ({ op: 'upsert', resource: compact(resource) as FhirResource });

export function mapAdt(message: V2Message, event: string, ctx: MapContext): Writes {
  if (event === 'A40') return mapMerge(message, ctx);
  const pid = segmentsOf(message, 'PID')[0];
  if (pid === undefined) return { ok: false, error: `ADT^${event} has no PID segment` };
  const patient = patientIdOf(pid, ctx);
  if (patient === undefined) return { ok: false, error: 'PID-3 holds no identifier' };
  const writes: ResourceWrite[] = [upsert(mapPatient(pid, patient, ctx))];
  const pv1 = segmentsOf(message, 'PV1')[0];
  const encounter = personOnly.has(event) ? undefined : encounterIdOf(pv1, ctx);
  if (visitPatch.has(event)) {
    if (pv1 === undefined || encounter === undefined) return { ok: false, error: `ADT^${event} needs PV1-19 (visit number) to find the encounter` };
    const set: Record<string, unknown> = { status: eventStatus0003[event] };
    if (event === 'A03') Object.assign(set, { class: encounterClass(pv1, ctx), subject: { reference: `Patient/${patient}` }, period: encounterPeriod(pv1, ctx) });
    const start = (encounterPeriod(pv1, ctx) as { start?: string }).start;
    if (event === 'A13' && start !== undefined) set.period = { start };
    writes.push({ op: 'patch', resourceType: 'Encounter', id: encounter, set: compact(set), create: event === 'A03' });
    return { ok: true, writes };
  }
  if (pv1 !== undefined && encounter !== undefined && withVisit.has(event)) {
    // A08 "does not convey the status of the encounter" (IG 0003 → unknown): PV1 says it instead.
    const status = encounterStatus(pv1, event === 'A08' ? undefined : eventStatus0003[event], ctx);
    writes.push(upsert(mapEncounter(pv1, segmentsOf(message, 'PV2')[0], encounter, patient, status, ctx)));
  }
  segmentsOf(message, 'NK1').forEach((nk1, i) => {
    const person = mapRelatedPerson(nk1, patient, i, ctx);
    if (person !== undefined) writes.push(upsert(person));
  });
  for (const al1 of segmentsOf(message, 'AL1')) {
    const allergy = mapAllergy(al1, patient, ctx);
    if (allergy !== undefined) writes.push(upsert(allergy));
  }
  for (const dg1 of segmentsOf(message, 'DG1')) {
    const condition = mapCondition(dg1, patient, encounter, ctx);
    if (condition !== undefined) writes.push(upsert(condition));
  }
  return { ok: true, writes: dedupe(writes) };
}

/**
 * A40: each PID/MRG pair merges MRG-1's patient into PID's. The survivor is described whole by its
 * PID and gains `link` replaces; the merged one is patched: `active: false`, `link` replaced-by
 * (created so if it was never seen, so a late A01 for it, being older, cannot revive it).
 */
function mapMerge(message: V2Message, ctx: MapContext): Writes {
  const { d } = ctx;
  const writes: ResourceWrite[] = [];
  let pid: (typeof message.segments)[number] | undefined;
  for (const segment of message.segments) {
    if (segment.id === 'PID') pid = segment;
    if (segment.id !== 'MRG') continue;
    if (pid === undefined) return { ok: false, error: 'ADT^A40: an MRG segment comes before any PID' };
    const survivor = patientIdOf(pid, ctx);
    if (survivor === undefined) return { ok: false, error: 'PID-3 holds no identifier' };
    const prior = repetitions(field(segment, 1), d)[0] ?? '';
    const priorValue = text(comp(prior, 1, d), d);
    if (priorValue === undefined) return { ok: false, error: 'MRG-1 (prior patient identifier) is empty' };
    const merged = patientId(priorValue, text(comp(prior, 4, d), d) ?? null);
    if (merged === survivor) return { ok: false, error: 'MRG-1 names the same patient as PID-3' };
    const patient = mapPatient(pid, survivor, ctx);
    writes.push(upsert({ ...patient, link: [{ other: { reference: `Patient/${merged}` }, type: 'replaces' }] }));
    writes.push({
      op: 'patch',
      resourceType: 'Patient',
      id: merged,
      set: compact({ active: false, link: [{ other: { reference: `Patient/${survivor}` }, type: 'replaced-by' }] }),
      create: true,
    });
  }
  if (writes.length === 0) return { ok: false, error: 'ADT^A40 has no MRG segment' };
  return { ok: true, writes };
}

/** Two segments describing the same resource (same id): the later one wins, in the first one's place. */
function dedupe(writes: ResourceWrite[]): ResourceWrite[] {
  const byKey = new Map<string, ResourceWrite>();
  for (const w of writes) {
    const key = w.op === 'upsert' ? `${w.resource.resourceType}/${w.resource.id}` : `${w.resourceType}/${w.id}/patch`;
    byKey.set(key, w);
  }
  return [...byKey.values()];
}
