import type { SinkName } from '../config/schema.ts';

// What the engine reports as it works, for metrics (src/metrics/). No row values, no PHI.

export type FinalState = 'processed' | 'failed' | 'skipped';

export type ProcessingObserver = {
  /** An event reached a final state: lag is finishedAt − receivedAt. */
  finished(event: { receivedAt: Date; finishedAt: Date; state: FinalState }): void;
  /** One sink call for a batch of events: how its results came out, and how long it took. */
  delivered(sink: SinkName, results: { ok: number; transient: number; permanent: number }, seconds: number): void;
  /** An attempt failed and the event waits for its next one. */
  retrying(sink: SinkName | null): void;
  /** A claim waited this long for saturated ingest (ingest-yield.ts). */
  yielded(seconds: number): void;
};

export const silentObserver: ProcessingObserver = { finished: () => undefined, delivered: () => undefined, retrying: () => undefined, yielded: () => undefined };
