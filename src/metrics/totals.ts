// Running totals since the app was built, in plain numbers (no registry, no database): the console's
// overview samples them every few seconds and turns the deltas into rates. Types and ACK codes are
// the bounded metric labels (labels.ts), so the maps stay small.

export type MetricsTotals = {
  /** Messages answered or stored by ingest (both doors, every outcome). */
  received: number;
  /** Answered AE/AR/CE/CR (refused or not stored): hl7_refused_messages_total. */
  refused: number;
  /** By MSH-9.1 label (configured types, "other", "none"). */
  byType: Record<string, number>;
  /** By the ACK code sent ("none": no ACK). */
  byAck: Record<string, number>;
  /** Events processing brought to a final state, by state (processed, failed, skipped). */
  finished: Record<string, number>;
};

export type TotalsCounter = {
  message(type: string, ackCode: string, refused: boolean): void;
  finished(state: string): void;
  /** A copy: the caller may keep it while counting goes on. */
  read(): MetricsTotals;
};

export function createTotals(): TotalsCounter {
  const totals: MetricsTotals = { received: 0, refused: 0, byType: {}, byAck: {}, finished: {} };
  return {
    message(type, ackCode, refused) {
      totals.received += 1;
      totals.byType[type] = (totals.byType[type] ?? 0) + 1;
      totals.byAck[ackCode] = (totals.byAck[ackCode] ?? 0) + 1;
      if (refused) totals.refused += 1;
    },
    finished(state) {
      totals.finished[state] = (totals.finished[state] ?? 0) + 1;
    },
    read: () => ({
      received: totals.received,
      refused: totals.refused,
      byType: { ...totals.byType },
      byAck: { ...totals.byAck },
      finished: { ...totals.finished },
    }),
  };
}
