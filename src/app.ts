import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { builtInSinkFactories, createProcessing, processingProbe } from './app-processing.ts';
import { OverviewSampler, type StoreHealth } from './console/overview-sampler.ts';
import { createFhirStore } from './fhir/store/fhir-store.ts';
import { checkReadiness, type Readiness } from './http/health.ts';
import { createHttpServer, type HttpDeps, type HttpServer } from './http/server.ts';
import { createControlIdGenerator } from './ingest/control-id.ts';
import { compileSenderRules } from './ingest/identity.ts';
import { createIngest } from './ingest/ingest.ts';
import { createIngestCounters, type IngestCounters } from './ingest/counters.ts';
import type { Ingest, IngestOptions } from './ingest/deps.ts';
import { instrumentIngest, instrumentStore } from './metrics/instrument.ts';
import { createMetrics, type Metrics } from './metrics/metrics.ts';
import { createMllpServer, type MllpServer } from './mllp/server.ts';
import type { FrameHandler } from './mllp/frame-handler.ts';
import { createByteBudget } from './net/byte-budget.ts';
import type { SinkFactories } from './processing/sinks/index.ts';
import type { ProcessingEngine } from './processing/engine.ts';
import { orderingKeyFor } from './processing/ordering-key.ts';
import { createOperatorView, type OperatorView } from './processing/operator-view.ts';
import { RetentionJob } from './retention/job.ts';
import { isRetentionEnabled } from './retention/policy.ts';
import { createStore } from './store/create-store.ts';
import type { Store } from './store/store.ts';

// Composition root: the only module that wires folders together. Tests and production both
// build the service through createApp.

export type AppAddresses = { mllp: AddressInfo | null; https: AddressInfo | null };

export type App = {
  start(): Promise<AppAddresses>;
  close(): Promise<void>;
  addresses(): AppAddresses;
  readonly store: Store | null;
  readonly mllp: MllpServer | null;
  /** The HTTP(S) door; null when https.enabled is false. */
  readonly http: HttpServer | null;
  readonly counters: IngestCounters;
  readonly metrics: Metrics;
  /** The retention job; null when nothing can expire (retention.days and rejectedDays unset). */
  readonly retention: RetentionJob | null;
  /** The processing engine; null when processing.enabled is false (or before start). */
  readonly processing: ProcessingEngine | null;
  /** Store reachable and every enabled door listening (GET /health/ready). */
  readiness(): Promise<Readiness>;
  /** The console overview's sampler (GET /api/console/overview); started with the doors, stopped first on close. */
  readonly overview: OverviewSampler;
};

export type AppOverrides = {
  clock?: () => Date;
  store?: Store;
  /** Sinks by name (amqp, fhir, or a test's recording sink); log and noop are built in. */
  sinkFactories?: SinkFactories;
  /**
   * false: the engine is not started although processing is enabled (the API, metrics and readiness
   * still report it), for tests that set processing states by SQL and must not race the engine.
   */
  runEngine?: boolean;
  /** The console overview's sampling interval (default 5 s). */
  overviewIntervalMs?: number;
};

export function createApp(config: Config, log: Logger, overrides: AppOverrides = {}): App {
  let store: Store | null = null;
  let mllp: MllpServer | null = null;
  let http: HttpServer | null = null;
  let retention: RetentionJob | null = null;
  let processing: ProcessingEngine | null = null;
  let closing: Promise<void> | null = null;
  // Processing as operators see it (API, backlog metrics, readiness): set once the store is open.
  let operator: OperatorView | null = null;
  const counters = createIngestCounters();
  const metrics = createMetrics({ acceptedTypes: config.hl7.acceptedTypes });
  metrics.watchMllp(() => mllp?.counters ?? null);
  metrics.watchOpenConnections('mllp', () => mllp?.openConnections ?? 0);
  metrics.watchRetention(() => retention?.totals ?? null);
  metrics.watchProcessing(() => operator?.stats?.() ?? null);
  // What /health/ready last found of the store: the overview shows it without a query of its own.
  let lastStoreCheck: StoreHealth = { state: 'unknown', detail: null };
  const overview = new OverviewSampler({
    sources: {
      totals: () => metrics.totals(),
      openConnections: () => metrics.openConnections(),
      get processingStats() {
        return operator?.stats ?? null;
      },
      processing: { enabled: config.processing.enabled, maxLagSeconds: config.processing.maxLagSeconds },
      storeHealth: () => lastStoreCheck,
    },
    ...(overrides.overviewIntervalMs === undefined ? {} : { intervalMs: overrides.overviewIntervalMs }),
  });

  async function start(): Promise<AppAddresses> {
    // Instrumented: commit latency from the store, in-flight and ACK latency from ingest.
    store = instrumentStore(overrides.store ?? (await createStore(config.db, { log: log.child({ component: 'store' }) })), metrics);
    const ingest = instrumentIngest(createIngest({
      store,
      counters,
      log: log.child({ component: 'ingest' }),
      clock: overrides.clock ?? (() => new Date()),
      newControlId: createControlIdGenerator(),
      senders: compileSenderRules(config.senders),
      options: ingestOptionsFor(config),
      orderingKey: (row) => orderingKeyFor(config.processing.ordering, row),
      onAccepted: () => processing?.wake(),
    }), metrics);
    operator = createOperatorView(config.processing, store, overrides.clock);
    const processingApi = {
      config: config.processing,
      control: operator.control,
      clock: overrides.clock ?? (() => new Date()),
      // Not awaited: keying a large take-in must not hold the HTTP answer; adopt() logs its own failure.
      afterReset: () => void processing?.adopt(),
    };
    // One budget of message bytes in memory for both doors (mllp.maxInFlightBytes).
    const budget = createByteBudget(config.mllp.maxInFlightBytes);
    const mllpLog = log.child({ component: 'mllp' });
    mllp = createMllpServer(config.mllp, mllpHandler(ingest, mllpLog), mllpLog, { budget });
    // The FHIR resources live in the same database (Patient 360 API); test doubles have no handle.
    const fhir = store.handle === undefined ? undefined : createFhirStore(store.handle);
    http = config.https.enabled
      ? createHttpServer(
          httpDeps(config, {
            ingest, store, log, metrics, readiness, budget, processing: processingApi, fhir,
            console: { config: config.console, clock: overrides.clock ?? (() => new Date()) },
            overview: () => overview.view(),
          }),
        )
      : null;
    try {
      // Built first: wrong TLS files and unavailable sinks stop start-up before any port opens.
      await http?.prepare();
      const factories = { ...builtInSinkFactories(fhir), ...overrides.sinkFactories };
      processing = overrides.runEngine === false ? null : await createProcessing(config, store, log, factories, metrics.processing);
      await mllp.listen();
      await http?.listen();
      await processing?.start();
      overview.start();
    } catch (err) {
      await overview.stop();
      await http?.close();
      await mllp.close();
      await processing?.close();
      await store.close();
      throw err;
    }
    retention = startRetention(config, store, log);
    const bound = addresses();
    log.info(
      {
        mllp: formatAddress(bound.mllp),
        https: formatAddress(bound.https),
        db: describeDb(config),
        processing: config.processing.enabled ? config.processing.ordering : 'off',
        fhirTimeZone: config.fhir.defaultTimeZone,
      },
      'hl7v2-listener started',
    );
    return bound;
  }

  async function readiness(): Promise<Readiness> {
    const found = await checkReadiness({
      pingStore: () => (store === null ? Promise.reject(new Error('store not started')) : store.ping()),
      mllpListening: () => mllp?.address() != null,
      httpsListening: () => (config.https.enabled ? (http?.listening() ?? false) : null),
      processing: processingProbe(config, operator),
      timeoutMs: config.db.queryTimeoutMs,
    });
    lastStoreCheck = found.checks.store === 'up' ? { state: 'up', detail: null } : { state: 'down', detail: 'the store did not answer the last readiness check' };
    return found;
  }

  function addresses(): AppAddresses {
    return { mllp: mllp?.address() ?? null, https: http?.address() ?? null };
  }

  /** Reverse order of start: HTTP finishes its requests, MLLP drains, then the store ends. Safe to call twice. */
  function close(): Promise<void> {
    closing ??= (async () => {
      await overview.stop();
      // Both doors stop accepting first, then drain side by side: MLLP no longer takes connections
      // while HTTP finishes its requests (and the reverse).
      const mllpStopped = mllp?.stopAccepting();
      const httpClosed = http?.close();
      await mllpStopped;
      await Promise.all([httpClosed, mllp?.close()]);
      await retention?.stop();
      await processing?.close();
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
    get http() {
      return http;
    },
    get retention() {
      return retention;
    },
    get processing() {
      return processing;
    },
    counters,
    metrics,
    readiness,
    overview,
  };
}

/** What ingest needs of the config (also used by the in-process bench). */
export function ingestOptionsFor(config: Config): IngestOptions {
  return {
    rules: config.hl7,
    onConflict: config.hl7.duplicates.onConflict,
    ackMode: config.hl7.ackMode,
    defaultCharset: config.hl7.defaultCharset,
    maxMessageBytes: config.mllp.maxMessageBytes,
    ackSendingApplication: config.hl7.ackSendingApplication,
    ackSendingFacility: config.hl7.ackSendingFacility,
  };
}

/** The HTTP door's slice of the config, with https.maxMessageBytes resolved, and what it serves. */
function httpDeps(config: Config, parts: Omit<HttpDeps, 'config'>): HttpDeps {
  const maxMessageBytes = config.https.maxMessageBytes ?? config.mllp.maxMessageBytes;
  return { ...parts, config: { ...config.https, maxMessageBytes }, log: parts.log.child({ component: 'https' }) };
}

/** Started once the doors listen; runs only when something can expire (policy.ts). */
function startRetention(config: Config, store: Store, log: Logger): RetentionJob | null {
  if (!isRetentionEnabled(config.retention)) return null;
  const job = new RetentionJob({ store, config: config.retention, log: log.child({ component: 'retention' }) });
  job.start();
  return job;
}

function mllpHandler(ingest: Ingest, log: Logger): FrameHandler {
  return async (frame, source) => {
    // Sizes only (never content): lets an operator, or a test, see that a frame reached ingest.
    log.debug({ conn: source.connectionId, bytes: frame.kind === 'message' ? frame.payload.length : frame.bytes }, 'MLLP frame received');
    const input =
      frame.kind === 'message'
        ? { kind: 'message' as const, bytes: frame.payload }
        : { kind: 'oversize' as const, head: frame.head, bytes: frame.bytes };
    const outcome = await ingest(input, {
      transport: 'mllp',
      remoteAddress: source.remoteAddress,
      connectionId: source.connectionId,
      tlsClientSubject: source.tlsClientSubject ?? null,
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
