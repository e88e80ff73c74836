import type { ResourceWrite } from '../projection.ts';
import type { Writes } from './adt.ts';
import { patientParticipant, resourceParticipant } from './ais-participants.ts';
import { compact } from './compact.ts';
import { triggerStatusSiu } from './concept-maps.ts';
import type { MapContext, Json } from './context.ts';
import { patchPatient, upsertResource } from './patient-writes.ts';
import { mapPatient, patientIdOf } from './pid-patient.ts';
import { appointmentIdOf, appointmentTiming, fillerStatus, mapAppointment } from './sch-appointment.ts';
import { field, segmentsOf, type Segment, type V2Message } from './v2-reader.ts';

// SIU S12–S26 (the IG's one SIU_S12 map) → Appointment + the Patient its PID names. Status: SCH-25,
// else the first AIS-10 (0278), else the trigger (decisions.md: S12–S14 booked, S15/S16 cancelled,
// S17 entered-in-error, S26 noshow; S18–S24 change a service or resource: booked).

export const siuEvents = new Set(['S12', 'S13', 'S14', 'S15', 'S16', 'S17', 'S18', 'S19', 'S20', 'S21', 'S22', 'S23', 'S24', 'S26']);

/** Triggers that change the state of an appointment the receiver already has. */
const statusChanges = new Set(['S15', 'S16', 'S17', 'S26']);

/** app-3: only these statuses may lack a start and an end. */
const timeless = new Set(['proposed', 'cancelled', 'waitlist']);

export function mapSiu(message: V2Message, event: string, ctx: MapContext): Writes {
  const sch = segmentsOf(message, 'SCH')[0];
  if (sch === undefined) return { ok: false, error: `SIU^${event} has no SCH segment` };
  const id = appointmentIdOf(sch, ctx);
  if (id === undefined) return { ok: false, error: 'SCH-1 and SCH-2 (appointment ids) are both empty' };
  const ais = segmentsOf(message, 'AIS');
  const status = fillerStatus(field(sch, 25), ctx) ?? (ais[0] === undefined ? undefined : fillerStatus(field(ais[0], 10), ctx)) ?? triggerStatusSiu[event] ?? 'booked';
  const timing = appointmentTiming(sch, segmentsOf(message, 'TQ1')[0], ais[0], ctx);
  const writes: ResourceWrite[] = [];
  const participant: Json[] = [];
  for (const pid of segmentsOf(message, 'PID')) {
    const patient = patientIdOf(pid, ctx);
    if (patient === undefined) return { ok: false, error: 'PID-3 holds no identifier' };
    writes.push(patchPatient(mapPatient(pid, patient, ctx)));
    participant.push(patientParticipant(patient));
  }
  for (const segment of message.segments) {
    if (segment.id !== 'AIG' && segment.id !== 'AIL' && segment.id !== 'AIP') continue;
    const p = resourceParticipant(segment, ctx);
    if (p !== undefined) participant.push(p);
  }
  const hasTimes = timing.start !== undefined && timing.end !== undefined;
  if (!hasTimes && !timeless.has(status)) {
    // A cancel, delete or no-show about an appointment already stored: only its status changes.
    if (statusChanges.has(event)) {
      writes.push({ op: 'patch', resourceType: 'Appointment', id, set: { status }, create: false });
      return { ok: true, writes };
    }
    return { ok: false, error: `SIU^${event}: an appointment with status ${status} needs a start and an end (TQ1-7/TQ1-8, SCH-11, or AIS-4 with AIS-7)` };
  }
  if (participant.length === 0) return { ok: false, error: `SIU^${event} names no participant (PID, AIG, AIL or AIP)` };
  writes.push(upsertResource(mapAppointment({ sch, ais, notes: scheduleNotes(message), id, status, timing, participant }, ctx)));
  return { ok: true, writes: compactWrites(writes) };
}

/** The NTEs of the SCH group: those after SCH (and its TQ1) before any PID, RGS or resource segment. */
function scheduleNotes(message: V2Message): Segment[] {
  const notes: Segment[] = [];
  let inSchedule = false;
  for (const segment of message.segments) {
    if (segment.id === 'SCH') inSchedule = true;
    else if (segment.id === 'NTE' && inSchedule) notes.push(segment);
    else if (segment.id !== 'TQ1' && segment.id !== 'TQ2') inSchedule = false;
  }
  return notes;
}

function compactWrites(writes: ResourceWrite[]): ResourceWrite[] {
  return writes.map((w) => (w.op === 'patch' ? { ...w, set: compact(w.set) } : w));
}
