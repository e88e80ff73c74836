import { z } from 'zod';
import { csrfHeader } from './headers.ts';

// The contract between the operations console (src/console/web, in the browser) and the service:
// the console-only endpoints' answers, declared once with zod. The server validates and documents
// with these schemas; the browser code imports the types only (`import type`), never zod itself.
//
// Everything else the console shows comes from the public API it shares with scripts:
//   GET  /api/messages?…filters…&limit&cursor       the list (keyset paging, newest first)
//   GET  /api/messages/:id                           one message: decoded segments, the ACK sent
//   GET  /api/messages/:id/raw                       the exact bytes received (download)
//   GET  /api/processing                             counts by state, oldest waiting, blocked lanes
//   POST /api/messages/:id/reprocess                 role operate
//   POST /api/processing/retry {filters}             role operate
//   POST /fhir/Patient/_search (form-urlencoded)     patient search without PHI in the URL
//   GET  /fhir/Patient/:id/$everything               the Patient 360 card
//
// Sessions: POST /api/console/session signs in and sets the session cookie; a request that carries
// only the cookie (no Authorization header) and changes state must send the session's CSRF token
// in the `x-csrf-token` header. The cookie never grants `ingest`.


/** POST /api/console/session: an API key; with a verified client certificate the body may be empty. */
export const signInBodySchema = z.object({ apiKey: z.string().min(1).max(512).optional() }).strict();

/** GET/POST /api/console/session: who is signed in, with what, until when. */
export const sessionViewSchema = z.object({
  name: z.string().describe('the API key name or the client certificate subject'),
  via: z.enum(['key', 'cert']),
  roles: z.array(z.enum(['read', 'operate', 'fhir'])),
  csrfToken: z.string().describe(`send it as ${csrfHeader} on every state-changing request`),
  idleExpiresAt: z.string().describe('ISO 8601: the session ends unless used before'),
  expiresAt: z.string().describe('ISO 8601: the session ends then, used or not'),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

/** A time series: one value per sample, aligned with OverviewView.series.t. */
const series = z.array(z.number());

/** GET /api/console/overview (role read): in-memory samples of the last hour, never a database read. */
export const overviewViewSchema = z.object({
  sampledAt: z.string().describe('ISO 8601: the newest sample'),
  intervalSeconds: z.number().describe('time between samples'),
  series: z.object({
    t: series.describe('sample times, epoch seconds, oldest first (at most one hour)'),
    receivedPerSecond: series.describe('messages answered per second (both doors, every ACK code)'),
    byType: z.record(z.string(), series).describe('messages per second by MSH-9.1 (bounded label set, "other")'),
    byAck: z.record(z.string(), series).describe('messages per second by the ACK code sent (AA, AE, AR, CA, CE, CR, none)'),
    refusedPerSecond: series.describe('messages refused per second (AE/AR/CE/CR or no answer)'),
    openConnections: z.object({ mllp: series, https: series }),
    processedPerSecond: series.describe('events reaching processed per second'),
    backlog: series.describe('events waiting (received + processing)'),
    failed: series.describe('events in the failed state'),
    oldestWaitingSeconds: series.describe('age of the oldest waiting event; 0 when none'),
  }),
  totals: z.object({
    received: z.number().int().describe('messages answered since the service started'),
    refused: z.number().int(),
    byAck: z.record(z.string(), z.number().int()),
  }),
  store: z.object({ state: z.enum(['up', 'down', 'unknown']), detail: z.string().nullable() }),
  processing: z.object({
    state: z.enum(['up', 'degraded', 'unknown', 'disabled']),
    counts: z.record(z.string(), z.number().int()).describe('events by processing state (cached)'),
    blockedLanes: z.number().int(),
  }),
});
export type OverviewView = z.infer<typeof overviewViewSchema>;

/** A component or subcomponent of a field, 1-based, with its name from the data type. */
const leafSchema = z.object({
  position: z.number().int(),
  id: z.string().describe('PID-5.1 or PID-5.1.2'),
  name: z.string().nullable(),
  datatype: z.string().nullable(),
  text: z.string().describe('escapes decoded (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\X..\\ \\.br\\)'),
});
export const componentSchema = leafSchema.extend({ subcomponents: z.array(leafSchema).describe('empty when the component has none') });
export const repetitionSchema = z.object({
  text: z.string().describe('the repetition as received, escapes decoded'),
  components: z.array(componentSchema).describe('empty when the value has a single component'),
});
export const fieldSchema = z.object({
  position: z.number().int().describe('MSH-1 is the field separator, MSH-2 the encoding characters'),
  id: z.string().describe('PID-5'),
  name: z.string().nullable().describe('HL7 v2.5.1 field name, null for a segment or field this listener has no name for'),
  datatype: z.string().nullable(),
  repetitions: z.array(repetitionSchema),
});
export const segmentSchema = z.object({
  index: z.number().int().describe('1-based position in the message'),
  name: z.string().describe('MSH, PID, …'),
  description: z.string().nullable().describe('Patient Identification, …'),
  fields: z.array(fieldSchema).describe('non-empty fields only'),
});
/** GET /api/messages/:id/tree (role read). */
export const messageTreeSchema = z.object({ id: z.number().int(), segments: z.array(segmentSchema) });
export type MessageTree = z.infer<typeof messageTreeSchema>;
export type TreeSegment = z.infer<typeof segmentSchema>;
export type TreeField = z.infer<typeof fieldSchema>;

/** A resource version a message wrote. */
export const writtenResourceSchema = z.object({
  resourceType: z.string(),
  id: z.string(),
  version: z.number().int(),
  lastUpdated: z.string().describe('ISO 8601'),
});
/** GET /api/messages/:id/fhir (role read): the FHIR resource versions this message's processing wrote. */
export const messageResourcesSchema = z.object({ id: z.number().int(), resources: z.array(writtenResourceSchema) });
export type MessageResources = z.infer<typeof messageResourcesSchema>;

/** GET /api/console/patients/:id/timeline (role read): the events that built a patient's view, newest first. */
export const patientTimelineSchema = z.object({
  patientId: z.string().describe('the FHIR Patient id'),
  events: z.array(
    z.object({
      messageId: z.number().int(),
      receivedAt: z.string(),
      type: z.string().nullable(),
      event: z.string().nullable(),
      ackCode: z.string().nullable(),
      processingState: z.string().nullable(),
      resources: z.array(writtenResourceSchema),
    }),
  ),
});
export type PatientTimeline = z.infer<typeof patientTimelineSchema>;
