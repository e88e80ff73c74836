// The contract between the HL7 v2 → FHIR R4 mapping (src/fhir/map/, pure functions) and the FHIR
// store (src/fhir/store/). The mapping turns one stored event into writes; the store applies them,
// newest event wins per resource, one version per change.

/** A FHIR R4 resource as JSON, with its deterministic id (`[A-Za-z0-9-.]{1,64}`). */
export type FhirResource = { resourceType: string; id: string } & Record<string, unknown>;

export type ResourceWrite =
  /** The event describes the whole resource: it replaces what is stored. */
  | { op: 'upsert'; resource: FhirResource }
  /**
   * The event changes part of a resource it does not describe whole (A40 on the merged patient, A03
   * finishing an encounter, A11/A13 cancels): these top-level elements are set (null removes one).
   * When the resource does not exist yet, `create` says whether to create it from `set` alone.
   */
  | { op: 'patch'; resourceType: string; id: string; set: Record<string, unknown>; create: boolean };

export type Projection = {
  /**
   * The event's own time as an instant (ISO 8601 with offset): EVN-2, else MSH-7, in
   * fhir.defaultTimeZone when written without an offset. A write older than the one that last
   * changed a resource is ignored, so `parallel` processing cannot go back in time.
   */
  eventTime: string;
  writes: ResourceWrite[];
  /** The stored message (hl7_message.id) the writes come from, recorded with each version written; absent: none. */
  messageId?: number;
};

export type MapOptions = {
  /** IANA zone for v2 timestamps without an offset. */
  defaultTimeZone: string;
  /** Assigning authority → Identifier.system URI (fhir.identifierSystems). */
  identifierSystems: Readonly<Record<string, string>>;
};

export type MapResult =
  | { ok: true; projection: Projection }
  /** Never retried: the message cannot be mapped as it is (the reason names fields, never values). */
  | { ok: false; error: string };
