import { encodeFrame } from '../src/mllp/frame.ts';
import { messageFactory, type MessageKind } from './fixtures.ts';

// Precomputed MLLP frames for the load generator: one framed template per message kind, with a
// fixed-width MSH-10 that is overwritten in a fresh copy per message (a buffer handed to
// socket.write must not change until it is flushed). Every message of a run is distinct, so the
// service stores each one (no duplicate short-cut).

export const CONTROL_ID_LENGTH = 20;
const PLACEHOLDER = 'Q'.repeat(CONTROL_ID_LENGTH);

export type FrameTemplate = { frame: Buffer; idOffset: number; patientOffsets: number[]; timeOffsets: number[]; payloadBytes: number };

/** PID-3's value in the fixtures: its seven digits are overwritten to spread messages over patients. */
const PATIENT_ID = 'PAT-0012345';
const PATIENT_DIGITS = 7;
/** The fixtures' message time (MSH-7, and EVN-2 in the ADT), 14 digits. */
const MESSAGE_TIME = '20260115103000';
const messageTimeMs = Date.UTC(2026, 0, 15, 10, 30, 0);

export function frameTemplate(kind: MessageKind): FrameTemplate {
  const payload = messageFactory(kind, CONTROL_ID_LENGTH)(PLACEHOLDER);
  const frame = encodeFrame(payload);
  const idOffset = frame.indexOf(PLACEHOLDER, 0, 'latin1');
  if (idOffset === -1 || frame.indexOf(PLACEHOLDER, idOffset + 1, 'latin1') !== -1) {
    throw new Error('the control id placeholder must occur exactly once in the template');
  }
  // Every place the patient id stands (PID-3, the ADT's visit number and the ORU's filler order number).
  const patientOffsets: number[] = [];
  for (let at = frame.indexOf(PATIENT_ID, 0, 'latin1'); at !== -1; at = frame.indexOf(PATIENT_ID, at + 1, 'latin1')) {
    patientOffsets.push(at + PATIENT_ID.length - PATIENT_DIGITS);
  }
  // The event's time: MSH-7 (the first time in the frame) and EVN-2; clinical times stay as they are.
  const timeOffsets = [frame.indexOf(MESSAGE_TIME, 0, 'latin1')];
  const evn = frame.indexOf('\rEVN|', 0, 'latin1');
  if (evn !== -1) timeOffsets.push(frame.indexOf(MESSAGE_TIME, evn, 'latin1'));
  if (timeOffsets.some((at) => at === -1)) throw new Error('the message time must occur in MSH-7 (and EVN-2 when there is an EVN)');
  return { frame, idOffset, patientOffsets, timeOffsets, payloadBytes: payload.length };
}

/** `tag` (letters/digits) + connection + counter, always CONTROL_ID_LENGTH characters. */
export function controlIdFor(tag: string, conn: number, n: number): string {
  const id = `${tag}C${String(conn).padStart(3, '0')}N${String(n).padStart(CONTROL_ID_LENGTH - tag.length - 5, '0')}`;
  if (id.length !== CONTROL_ID_LENGTH) throw new Error(`control id ${id} is not ${CONTROL_ID_LENGTH} characters`);
  return id;
}

/**
 * A copy of the template with this MSH-10; when `patient` is given, PID-3 = PAT-<patient>; when
 * `round` is given, the message time (MSH-7, EVN-2) `round` seconds after the fixture's, so each
 * patient's later messages are newer events (as a feed's A08s are), with the same content.
 */
export function frameWithId(template: FrameTemplate, controlId: string, patient?: number, round?: number): Buffer {
  const frame = Buffer.allocUnsafe(template.frame.length);
  template.frame.copy(frame);
  frame.write(controlId, template.idOffset, 'latin1');
  if (patient !== undefined) {
    const digits = String(patient).padStart(PATIENT_DIGITS, '0');
    for (const offset of template.patientOffsets) frame.write(digits, offset, 'latin1');
  }
  if (round !== undefined && round > 0) {
    const time = new Date(messageTimeMs + round * 1000).toISOString().replace(/[-T:]/g, '').slice(0, MESSAGE_TIME.length);
    for (const offset of template.timeOffsets) frame.write(time, offset, 'latin1');
  }
  return frame;
}
