import { resourceId } from '../ids.ts';
import { fillerStatus0278 } from './concept-maps.ts';
import { toCodeableConcept } from './cwe-codeableconcept.ts';
import type { MapContext, Json } from './context.ts';
import { eiKey, eiToIdentifier } from './cx-identifier.ts';
import { hasTime, toFhirDateTime } from './dtm-datetime.ts';
import { compText, field, repetitions, text, type Segment } from './v2-reader.ts';

// SCH (+ TQ1, AIS, NTE) → Appointment (IG "SCH[Appointment]", "AIS[Appointment]"). Keyed by the
// filler appointment id SCH-2 (required in SIU: every S13–S26 about the appointment carries it),
// else the placer's SCH-1. Start and end: TQ1-7/TQ1-8, else SCH-11 (TQ) 4 and 5, else the first
// AIS-4 plus its duration (AIS-7/AIS-8), else SCH-9/SCH-10.

export function appointmentIdOf(sch: Segment, ctx: MapContext): string | undefined {
  const filler = eiKey(field(sch, 2), ctx);
  const key = filler === undefined ? eiKey(field(sch, 1), ctx) : `F:${filler}`;
  if (key === undefined) return undefined;
  return resourceId('Appointment', [filler === undefined ? `P:${key}` : key]);
}

/** 0278 (SCH-25, AIS-10) → appointmentstatus, matched without case; undefined when empty or unknown. */
export function fillerStatus(value: string, ctx: MapContext): string | undefined {
  const code = compText(value, 1, ctx.d);
  return code === undefined ? undefined : fillerStatus0278[code.toLowerCase()];
}

export type Timing = { start?: string | undefined; end?: string | undefined; minutes?: number | undefined };

export function appointmentTiming(sch: Segment, tq1: Segment | undefined, ais: Segment | undefined, ctx: MapContext): Timing {
  const { d } = ctx;
  const zone = ctx.options.defaultTimeZone;
  const at = (value: string | undefined): string | undefined => (hasTime(value) ? toFhirDateTime(value, zone) : undefined);
  const tq = repetitions(field(sch, 11), d)[0] ?? '';
  const minutes = durationMinutes(compText(field(ais, 7), 1, d), field(ais, 8), ctx) ?? durationMinutes(compText(field(sch, 9), 1, d), field(sch, 10), ctx);
  const start = at(compText(field(tq1, 7), 1, d)) ?? at(compText(tq, 4, d)) ?? at(compText(field(ais, 4), 1, d));
  const end = at(compText(field(tq1, 8), 1, d)) ?? at(compText(tq, 5, d)) ?? (start !== undefined && minutes !== undefined ? addMinutes(start, minutes) : undefined);
  return { start, end, minutes };
}

const unitMinutes: Record<string, number> = { min: 1, m: 1, minute: 1, minutes: 1, h: 60, hr: 60, hour: 60, hours: 60, d: 1440, day: 1440, days: 1440 };

function durationMinutes(amount: string | undefined, unit: string, ctx: MapContext): number | undefined {
  const n = Number(amount);
  if (amount === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  const code = compText(unit, 1, ctx.d)?.toLowerCase() ?? 'min'; // HL7: minutes when SCH-10/AIS-8 is empty
  const factor = unitMinutes[code];
  if (factor === undefined) return undefined;
  const minutes = n * factor;
  return Number.isInteger(minutes) ? minutes : undefined;
}

/** A FHIR dateTime with time and offset, plus minutes, written in the same offset. */
function addMinutes(dateTime: string, minutes: number): string | undefined {
  const m = /([+-])(\d{2}):(\d{2})$/.exec(dateTime);
  const ms = Date.parse(dateTime);
  if (m === null || Number.isNaN(ms)) return undefined;
  const offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
  const local = new Date(ms + (minutes + offset) * 60_000).toISOString().slice(0, 19);
  return `${local}${m[0]}`;
}

export type AppointmentInput = { sch: Segment; ais: Segment[]; notes: Segment[]; id: string; status: string; timing: Timing; participant: Json[] };

export function mapAppointment(input: AppointmentInput, ctx: MapContext): Json {
  const { d } = ctx;
  const { sch } = input;
  const comment = input.notes.map((nte) => repetitions(field(nte, 3), d).map((r) => text(r, d)).filter((t) => t !== undefined).join('\n')).filter((t) => t !== '');
  const both = input.timing.start !== undefined && input.timing.end !== undefined;
  return {
    resourceType: 'Appointment',
    id: input.id,
    identifier: [eiToIdentifier(field(sch, 1), ctx, 'PLAC'), eiToIdentifier(field(sch, 2), ctx, 'FILL')],
    status: input.status,
    serviceType: input.ais.map((ais) => toCodeableConcept(repetitions(field(ais, 3), d)[0] ?? '', ctx)),
    appointmentType: toCodeableConcept(field(sch, 8), ctx, '0277'),
    reasonCode: [toCodeableConcept(field(sch, 6), ctx), toCodeableConcept(field(sch, 7), ctx, '0276')],
    // app-2: start and end together or not at all.
    start: both ? input.timing.start : undefined,
    end: both ? input.timing.end : undefined,
    minutesDuration: input.timing.minutes,
    comment: comment.length === 0 ? undefined : comment.join('\n'),
    participant: input.participant,
  };
}


