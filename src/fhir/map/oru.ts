import type { FhirResource, ResourceWrite } from '../projection.ts';
import type { Writes } from './adt.ts';
import { compact } from './compact.ts';
import type { MapContext } from './context.ts';
import { toFhirDateTime } from './dtm-datetime.ts';
import { anonymousOrderKey, mapDiagnosticReport, orderKeyOf, reportIdOf } from './obr-diagnosticreport.ts';
import { mapObservation, type ObservationInput } from './obx-observation.ts';
import { patchPatient } from './patient-writes.ts';
import { mapPatient, patientIdOf } from './pid-patient.ts';
import { encounterIdOf } from './pv1-encounter.ts';
import { mapSpecimen, specimenIdOf, specimenKeyOf } from './spm-specimen.ts';
import { compText, field, type Segment, type V2Message } from './v2-reader.ts';

// ORU^R01 (IG "ORU_R01"), read as its real groups: PATIENT_RESULT (PID, PV1) > ORDER_OBSERVATION
// (ORC, OBR, NTE) > OBSERVATION (OBX, NTE) and SPECIMEN (SPM, OBX…). An NTE belongs to the segment
// it follows; an OBX after an SPM belongs to that specimen (focus and specimen → it). One
// DiagnosticReport per OBR, one Observation per OBX, one Specimen per SPM.

type Obs = { obx: Segment; notes: Segment[] };
type Spec = { spm: Segment; notes: Segment[]; observations: Obs[] };
type Order = { orc?: Segment | undefined; obr?: Segment | undefined; notes: Segment[]; observations: Obs[]; specimens: Spec[] };
type PatientResult = { pid: Segment; pv1?: Segment | undefined; orders: Order[] };

export function mapOru(message: V2Message, ctx: MapContext): Writes {
  const groups = readGroups(message);
  if (!groups.ok) return groups;
  const writes: ResourceWrite[] = [];
  const upsert = (resource: Record<string, unknown>): void => {
    writes.push({ op: 'upsert', resource: compact(resource) as FhirResource });
  };
  for (const result of groups.results) {
    const patient = patientIdOf(result.pid, ctx);
    if (patient === undefined) return { ok: false, error: 'PID-3 holds no identifier' };
    writes.push(patchPatient(mapPatient(result.pid, patient, ctx)));
    const encounter = encounterIdOf(result.pv1, ctx);
    result.orders.forEach((order, orderIndex) => {
      if (order.obr === undefined) return;
      const obr = order.obr;
      const orderKey = orderKeyOf(obr, order.orc, ctx) ?? anonymousOrderKey(patient, obr, orderIndex, ctx);
      const orderTime = toFhirDateTime(compText(field(obr, 7), 1, ctx.d), ctx.options.defaultTimeZone);
      const base = { orderKey, patient, encounter, orderTime };
      const results: string[] = [];
      const specimens: string[] = [];
      const addObservation = (obs: Obs, index: number, specimen?: { id: string; key: string }): void => {
        const input: ObservationInput = { ...base, obx: obs.obx, notes: obs.notes, index, specimen };
        // Its id as mapObservation sets it (observationIdOf): one SHA-256, not two.
        const observation = mapObservation(input, ctx);
        results.push(String(observation.id));
        upsert(observation);
      };
      order.observations.forEach((obs, i) => addObservation(obs, i));
      order.specimens.forEach((spec, i) => {
        const key = specimenKeyOf(spec.spm, orderKey, i, ctx);
        const id = specimenIdOf(key);
        specimens.push(id);
        upsert(mapSpecimen(spec.spm, spec.notes, id, patient, ctx));
        spec.observations.forEach((obs, j) => addObservation(obs, j, { id, key }));
      });
      upsert(mapDiagnosticReport({ obr, orc: order.orc, id: reportIdOf(orderKey), patient, encounter, results, specimens }, ctx));
    });
  }
  return { ok: true, writes: lastWins(writes) };
}

type Groups = { ok: true; results: PatientResult[] } | { ok: false; error: string };

function readGroups(message: V2Message): Groups {
  const results: PatientResult[] = [];
  let result: PatientResult | undefined;
  let order: Order | undefined;
  let spec: Spec | undefined;
  let notes: Segment[] | undefined;
  for (const segment of message.segments) {
    switch (segment.id) {
      case 'PID':
        result = { pid: segment, orders: [] };
        results.push(result);
        order = undefined;
        spec = undefined;
        notes = undefined;
        break;
      case 'PV1':
        if (result !== undefined && order === undefined) result.pv1 = segment;
        break;
      case 'ORC':
      case 'OBR': {
        if (result === undefined) return { ok: false, error: `ORU^R01: ${segment.id} comes before any PID` };
        // ORC opens an order; an OBR right after its ORC completes it, any other OBR opens a new one.
        const joins = segment.id === 'OBR' && order !== undefined && order.obr === undefined && order.observations.length === 0;
        if (!joins) {
          order = { notes: [], observations: [], specimens: [] };
          result.orders.push(order);
        }
        if (order === undefined) break;
        if (segment.id === 'ORC') order.orc = segment;
        else order.obr = segment;
        spec = undefined;
        notes = order.notes;
        break;
      }
      case 'SPM':
        if (order === undefined) return { ok: false, error: 'ORU^R01: SPM comes before any OBR' };
        spec = { spm: segment, notes: [], observations: [] };
        order.specimens.push(spec);
        notes = spec.notes;
        break;
      case 'OBX': {
        // An OBX of the PATIENT group or of v2.8's ORDER_DOCUMENT (before OBR): not mapped.
        if (order?.obr === undefined) {
          notes = undefined;
          break;
        }
        const obs: Obs = { obx: segment, notes: [] };
        (spec === undefined ? order.observations : spec.observations).push(obs);
        notes = obs.notes;
        break;
      }
      case 'NTE':
        notes?.push(segment);
        break;
    }
  }
  if (results.length === 0) return { ok: false, error: 'ORU^R01 has no PID segment' };
  return { ok: true, results };
}

/** The same resource twice (a repeated OBX or OBR key): the later segment wins, in the first one's place. */
function lastWins(writes: ResourceWrite[]): ResourceWrite[] {
  const byKey = new Map<string, ResourceWrite>();
  for (const w of writes) byKey.set(w.op === 'upsert' ? `${w.resource.resourceType}/${w.resource.id}` : `${w.resourceType}/${w.id}`, w);
  return [...byKey.values()];
}
