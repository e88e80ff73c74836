// Label values must stay a small, known set: a sender controls MSH-9, so anything outside the
// configured types and events becomes "other" (and an absent value "none"), never the raw text.

/** hl7.acceptedTypes: message type → accepted trigger events (`'*'` = any). */
export type AcceptedTypes = Readonly<Record<string, readonly string[]>>;

export type TypeLabels = { type: string; event: string };

export function createLabeler(accepted: AcceptedTypes): (messageType: string | null, triggerEvent: string | null) => TypeLabels {
  const known = new Map<string, ReadonlySet<string>>(Object.entries(accepted).map(([type, events]) => [type, new Set(events)]));
  return (messageType, triggerEvent) => {
    if (messageType === null) return { type: 'none', event: 'none' };
    const events = known.get(messageType);
    if (events === undefined) return { type: 'other', event: 'other' };
    if (triggerEvent === null) return { type: messageType, event: 'none' };
    // A wildcard type accepts any event text, so its events are not enumerable: one bucket.
    return { type: messageType, event: events.has(triggerEvent) ? triggerEvent : 'other' };
  };
}
