import type { IngestOutcome } from './outcome.ts';
import type { Verdict } from './verdict.ts';

/** Running totals, logged at shutdown. Plain numbers. */
export type IngestCounters = {
  accepted: number;
  duplicates: number;
  refused: number;
  /** Frames without a readable MSH (also counted in `refused`). */
  unreadable: number;
  /** Messages that could not be committed (answered AR 207, or a refused row lost). */
  storeFailures: number;
  /** Inbound ACK messages (MSH-9.1 = ACK): stored, never answered. */
  inboundAcks: number;
};

export function createIngestCounters(): IngestCounters {
  return { accepted: 0, duplicates: 0, refused: 0, unreadable: 0, storeFailures: 0, inboundAcks: 0 };
}

export function count(counters: IngestCounters, verdict: Verdict, outcome: IngestOutcome, inboundAck: boolean): void {
  if (outcome.result === 'accept') counters.accepted += 1;
  else if (outcome.result === 'duplicate') counters.duplicates += 1;
  else counters.refused += 1;
  if (inboundAck) counters.inboundAcks += 1;
  const unreadable = verdict.issues.some((i) => i.code === 'no-msh' || i.code === 'bad-encoding-characters');
  if (unreadable) counters.unreadable += 1;
  const storeFailed = !outcome.stored && outcome.result !== 'duplicate';
  if (storeFailed) counters.storeFailures += 1;
}
