import type { Logger } from 'pino';
import type { AckMode } from '../hl7/ack.ts';
import type { NewMessage, Store } from '../store/store.ts';
import type { IngestCounters } from './counters.ts';
import type { SenderRules } from './identity.ts';
import type { IngestOutcome } from './outcome.ts';
import type { IngestInput, IngestSource } from './source.ts';
import type { JudgeOptions } from './verdict.ts';

// What the ingest use case is given, and its signature: both doors call an `Ingest`.

export type IngestOptions = JudgeOptions & {
  onConflict: 'reject' | 'accept';
  ackMode: AckMode;
  ackSendingApplication: string;
  ackSendingFacility: string;
};

export type IngestDeps = {
  counters: IngestCounters;
  store: Store;
  options: IngestOptions;
  log: Logger;
  clock: () => Date;
  newControlId: () => string;
  /** Identity rules (`senders`, src/ingest/identity.ts); absent: any peer may claim any MSH-3/MSH-4. */
  senders?: SenderRules;
  /** Called after a message was committed as accepted (the processing engine's wake-up). */
  onAccepted?: () => void;
  /** The processing lane of an accepted row (src/processing/ordering-key.ts); absent: NULL, re-keyed at the engine's start. */
  orderingKey?: (row: NewMessage) => string;
};

export type Ingest = (input: IngestInput, source: IngestSource) => Promise<IngestOutcome>;
