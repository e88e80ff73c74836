import { marks } from '../search/sql.ts';
import type { FhirEngine, Row } from './engine.ts';

// Which message wrote which resource version (fhir_history.message_id, migration 0005): the
// resources one message wrote, and the messages that built a patient's compartment, newest first,
// with what the operations console shows of each message (a join with hl7_message, same database).

export type WrittenVersion = { messageId: number; resourceType: string; id: string; version: number; lastUpdated: string };

export type TimelineMessage = {
  messageId: number;
  receivedAt: Date;
  messageType: string | null;
  triggerEvent: string | null;
  ackCode: string | null;
  processingState: string | null;
  resources: Omit<WrittenVersion, 'messageId'>[];
};

const versionColumns = 'h.message_id, h.resource_type, h.id, h.version, h.last_updated';

export async function writtenBy(engine: FhirEngine, messageIds: readonly number[]): Promise<WrittenVersion[]> {
  if (messageIds.length === 0) return [];
  const rows = await engine.all(
    `SELECT ${versionColumns} FROM fhir_history h WHERE h.message_id IN (${marks(messageIds)}) ORDER BY h.message_id, h.resource_type, h.id, h.version`,
    messageIds,
  );
  return rows.map(toVersion);
}

/**
 * The newest `limit` messages (by id: receive order) that wrote a version of a resource now in the
 * compartment of one of `patientIds` (a Patient is in its own), each with the versions it wrote
 * there. Messages deleted by retention are left out: there is nothing left to open.
 */
export async function patientTimeline(engine: FhirEngine, patientIds: readonly string[], limit: number): Promise<TimelineMessage[]> {
  if (patientIds.length === 0) return [];
  const inCompartment = `(h.resource_type, h.id) IN (SELECT c.resource_type, c.resource_id FROM fhir_compartment c WHERE c.patient_id IN (${marks(patientIds)}))`;
  const newest = await engine.all(
    `SELECT DISTINCT h.message_id FROM fhir_history h JOIN hl7_message m ON m.id = h.message_id WHERE ${inCompartment} ORDER BY h.message_id DESC LIMIT ${Math.trunc(limit)}`,
    patientIds,
  );
  const ids = newest.map((row) => Number(row.message_id));
  if (ids.length === 0) return [];
  const rows = await engine.all(
    `SELECT ${versionColumns}, m.received_at, m.message_type, m.trigger_event, m.ack_code, m.processing_state` +
      ` FROM fhir_history h JOIN hl7_message m ON m.id = h.message_id` +
      ` WHERE h.message_id IN (${marks(ids)}) AND ${inCompartment}` +
      ' ORDER BY h.message_id DESC, h.resource_type, h.id, h.version',
    [...ids, ...patientIds],
  );
  const messages = new Map<number, TimelineMessage>();
  for (const row of rows) {
    const { messageId, ...resource } = toVersion(row);
    let message = messages.get(messageId);
    if (message === undefined) {
      message = {
        messageId,
        receivedAt: new Date(row.received_at as string | Date),
        messageType: textOrNull(row.message_type),
        triggerEvent: textOrNull(row.trigger_event),
        ackCode: textOrNull(row.ack_code),
        processingState: textOrNull(row.processing_state),
        resources: [],
      };
      messages.set(messageId, message);
    }
    message.resources.push(resource);
  }
  return [...messages.values()];
}

function toVersion(row: Row): WrittenVersion {
  return {
    messageId: Number(row.message_id),
    resourceType: String(row.resource_type),
    id: String(row.id),
    version: Number(row.version),
    lastUpdated: new Date(Number(row.last_updated)).toISOString(),
  };
}

function textOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
