import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { createControlIdGenerator } from './ingest/control-id.ts';
import { createIngest } from './ingest/ingest.ts';
import { createIngestCounters, type Ingest, type IngestCounters } from './ingest/outcome.ts';
import { createMllpServer, type FrameHandler, type MllpServer } from './mllp/server.ts';
import { createStore } from './store/create-store.ts';
import type { Store } from './store/store.ts';

// Composition root: the only module that wires folders together. Tests and production both
// build the service through createApp.

export type AppAddresses = { mllp: AddressInfo | null };

export type App = {
  start(): Promise<AppAddresses>;
  close(): Promise<void>;
  addresses(): AppAddresses;
  readonly store: Store | null;
  readonly mllp: MllpServer | null;
  readonly counters: IngestCounters;
};

export type AppOverrides = { clock?: () => Date; store?: Store };

export function createApp(config: Config, log: Logger, overrides: AppOverrides = {}): App {
  let store: Store | null = null;
  let mllp: MllpServer | null = null;
  let closing: Promise<void> | null = null;
  const counters = createIngestCounters();

  async function start(): Promise<AppAddresses> {
    store = overrides.store ?? (await createStore(config.db));
    const ingest = createIngest({
      store,
      counters,
      log: log.child({ component: 'ingest' }),
      clock: overrides.clock ?? (() => new Date()),
      newControlId: createControlIdGenerator(),
      options: {
        rules: config.hl7,
        onConflict: config.hl7.duplicates.onConflict,
        ackMode: config.hl7.ackMode,
        defaultCharset: config.hl7.defaultCharset,
        maxMessageBytes: config.mllp.maxMessageBytes,
        ackSendingApplication: config.hl7.ackSendingApplication,
        ackSendingFacility: config.hl7.ackSendingFacility,
      },
    });
    mllp = createMllpServer(config.mllp, mllpHandler(ingest), log.child({ component: 'mllp' }));
    try {
      await mllp.listen();
    } catch (err) {
      await store.close();
      throw err;
    }
    const bound = addresses();
    log.info({ mllp: formatAddress(bound.mllp), db: describeDb(config) }, 'hl7v2-listener started');
    if (config.https.enabled) {
      log.warn('https.enabled is true, but this version has no HTTPS door yet: only MLLP is listening');
    }
    return bound;
  }

  function addresses(): AppAddresses {
    return { mllp: mllp?.address() ?? null };
  }

  /** Reverse order of start: stop accepting and drain MLLP, then end the store. Safe to call twice. */
  function close(): Promise<void> {
    closing ??= (async () => {
      await mllp?.close();
      await store?.close();
      log.info({ ingest: { ...counters }, mllp: mllp ? { ...mllp.counters } : null }, 'hl7v2-listener stopped');
    })();
    return closing;
  }

  return {
    start,
    close,
    addresses,
    get store() {
      return store;
    },
    get mllp() {
      return mllp;
    },
    counters,
  };
}

function mllpHandler(ingest: Ingest): FrameHandler {
  return async (frame, source) => {
    const input =
      frame.kind === 'message'
        ? { kind: 'message' as const, bytes: frame.payload }
        : { kind: 'oversize' as const, head: frame.head, bytes: frame.bytes };
    const outcome = await ingest(input, {
      transport: 'mllp',
      remoteAddress: source.remoteAddress,
      connectionId: source.connectionId,
    });
    return { reply: outcome.ack };
  };
}

function formatAddress(address: AddressInfo | null): string | null {
  if (!address) return null;
  return address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

function describeDb(config: Config): string {
  const db = config.db;
  return db.driver === 'sqlite' ? `sqlite ${db.file}` : `mariadb ${db.host}:${db.port}/${db.database}`;
}
