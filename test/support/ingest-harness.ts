import pino, { type Logger } from 'pino';
import { hl7Schema } from '../../src/config/schema.ts';
import { createIngest } from '../../src/ingest/ingest.ts';
import { createIngestCounters } from '../../src/ingest/counters.ts';
import type { IngestOptions } from '../../src/ingest/deps.ts';
import type { NewMessage, Store } from '../../src/store/store.ts';
import { createMemoryStore, type MemoryStore } from './memory-store.ts';

/**
 * The ingest use case on a store made of plain data (memory-store.ts), with a fixed clock, default
 * HL7 rules and a silent log, for unit tests of src/ingest:
 *
 *   const { store, send, counters, transactions } = setupIngest({ onConflict: 'accept' });
 *   const outcome = await send(buildMessage({ controlId: 'C1' }));   // over MLLP from 127.0.0.1
 *
 * `wrap` puts something in front of the store (a failure, a delay); `transactions` holds the rows
 * of each insertMessages call (one call = one transaction).
 */
export function setupIngest(
  overrides: Partial<IngestOptions> = {},
  wrap: (store: MemoryStore) => Store = (s) => s,
  log: Logger = pino({ level: 'silent' }),
) {
  const store = createMemoryStore();
  const counters = createIngestCounters();
  const transactions: NewMessage[][] = [];
  const wrapped = wrap(store);
  let n = 0;
  const ingest = createIngest({
    store: { ...wrapped, insertMessages: (rows) => (transactions.push([...rows]), wrapped.insertMessages(rows)) },
    counters,
    log,
    clock: () => new Date('2026-01-15T10:30:00.000Z'),
    newControlId: () => `ACK${++n}`,
    options: {
      rules: hl7Schema.parse({}),
      onConflict: 'reject',
      ackMode: 'hl7',
      defaultCharset: 'UTF-8',
      maxMessageBytes: 1024 * 1024,
      ackSendingApplication: 'LISTENER',
      ackSendingFacility: '',
      ...overrides,
    },
  });
  const send = (text: string | Buffer) =>
    ingest({ kind: 'message', bytes: Buffer.from(text) }, { transport: 'mllp', remoteAddress: '127.0.0.1' });
  return { store, ingest, send, counters, transactions };
}
