import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { ConsoleConfig, HttpsConfig } from '../config/schema.ts';
import { createConsoleAssets } from '../console/assets.ts';
import { consolePageRoutes } from '../console/page-routes.ts';
import { sessionRoutes } from '../console/session-routes.ts';
import { createConsoleSessions } from '../console/sessions.ts';
import type { Ingest } from '../ingest/deps.ts';
import type { FhirStore } from '../fhir/store/fhir-store.ts';
import type { ByteBudget } from '../net/byte-budget.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Store } from '../store/store.ts';
import { createAuthenticator, installAuth, rateLimitKeyOf } from './auth.ts';
import { installErrorAnswers, installNoStore, installRequestLog, refuseOutsiders } from './server-hooks.ts';
import type { Readiness } from './health.ts';
import { hl7Routes } from './hl7-route.ts';
import { registerOpenApi } from './openapi.ts';
import type { OverviewView } from '../console/api.ts';
import { consoleDataRoutes } from './routes/console-data.ts';
import { fhirRoutes } from './routes/fhir.ts';
import { healthRoutes } from './routes/health.ts';
import { messageViewRoutes } from './routes/message-views.ts';
import { messagesRoutes } from './routes/messages.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { processingRoutes, type ProcessingRouteDeps } from './routes/processing.ts';
import { loadHttpsTls } from './tls.ts';

// The HTTP door: builds Fastify (never listens by itself) and, in HttpServer, owns its lifecycle.

export type HttpDeps = {
  /** `maxMessageBytes` resolved (https.maxMessageBytes, else mllp.maxMessageBytes). */
  config: HttpsConfig & { maxMessageBytes: number };
  ingest: Ingest;
  store: Store;
  log: Logger;
  metrics: Metrics;
  readiness: () => Promise<Readiness>;
  /** Message bytes in memory, shared with the MLLP door; POST /hl7 bodies take from it. */
  budget: ByteBudget;
  /** GET /api/processing, reprocess and retry. */
  processing: ProcessingRouteDeps;
  /** The FHIR resources (Patient 360 API under /fhir); absent when the store has no handle (test doubles). */
  fhir?: FhirStore | undefined;
  /** The operations console (/console/ and its sign-in sessions); the clock decides session expiry. */
  console: { config: ConsoleConfig; clock: () => Date };
  /** GET /api/console/overview: the overview sampler's current view. */
  overview: () => OverviewView;
};

/** Never in logs, whoever logs a request or its headers (a second line of defence). */
const redact = {
  paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'req.headers.cookie'],
  censor: '[redacted]',
};

export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const log = deps.log.child({}, { redact });
  // Read first: a wrong TLS file stops start-up with a message naming the option and the file.
  const tls = config.tls === false || config.tls === undefined ? null : loadHttpsTls(config.tls);
  if (tls === null) log.warn('https.tls is false: the HTTP door speaks plain HTTP, keys travel in clear text (development only)');
  // Given to node's server constructor, not only set afterwards (as Fastify does): node checks
  // request timeouts every 30 s by default, far too coarse for requestTimeoutMs.
  const checking = {
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(config.requestTimeoutMs / 2))),
  };
  const options = {
    loggerInstance: log,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxMessageBytes,
    // Receipt is bounded here (408); the answer is bounded by the store's own timeouts (503 + AR).
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    keepAliveTimeout: 5_000,
    forceCloseConnections: 'idle' as const,
    return503OnClosing: true,
  };
  // Typed as the default (http) instance: node's https.Server has the same request API.
  const app = (
    tls === null ? Fastify({ ...options, http: checking }) : Fastify({ ...options, https: { ...tls, ...checking } })
  ) as unknown as FastifyInstance;
  refuseOutsiders(app, config.allow, log);
  installErrorAnswers(app, config.maxMessageBytes);
  installRequestLog(app);
  installNoStore(app);

  const consoleConfig = deps.console.config;
  const sessions = consoleConfig.enabled ? createConsoleSessions({ config: consoleConfig, clock: deps.console.clock, log }) : null;
  const auth = createAuthenticator(config, log, sessions);
  await app.register(helmet, { global: true, ...(tls === null ? { hsts: false } : {}) });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.timeWindowMs,
    keyGenerator: (request) => rateLimitKeyOf(auth, request),
    onExceeded: (request, key) => log.warn({ bucket: key.replace(/^address:/, 'address '), remote: request.ip }, 'rate limit exceeded'),
    errorResponseBuilder: (_request, context) =>
      Object.assign(new Error(`rate limit exceeded: retry in ${context.after}`), { statusCode: context.statusCode }),
  });
  installAuth(app, auth, log);
  await registerOpenApi(app, deps);
  await app.register(hl7Routes, { ingest: deps.ingest, maxMessageBytes: config.maxMessageBytes, budget: deps.budget });
  await app.register(healthRoutes, deps);
  await app.register(metricsRoutes, deps);
  await app.register(messagesRoutes, { store: deps.store, cursorKey: cursorKeyOf(config) });
  await app.register(messageViewRoutes, { store: deps.store, fhir: deps.fhir });
  await app.register(processingRoutes, deps.processing);
  await app.register(consoleDataRoutes, { overview: deps.overview, fhir: deps.fhir });
  if (deps.fhir !== undefined) await app.register(fhirRoutes, { fhir: deps.fhir });
  if (sessions !== null) {
    await app.register(sessionRoutes, { sessions, config, signInsPerMinute: consoleConfig.signInsPerMinute });
    await app.register(consolePageRoutes, { assets: createConsoleAssets(log) });
  }
  return app;
}

/** The configured list-cursor key (shared by instances behind one balancer), or none: one per process. */
function cursorKeyOf(config: HttpsConfig): Buffer | undefined {
  return config.cursorKey === undefined ? undefined : Buffer.from(config.cursorKey, 'utf8');
}

/** The door's lifecycle: build and listen, report the address, close gracefully. */
export class HttpServer {
  #built: FastifyInstance | null = null;
  /** Set once listening; null again once closing. */
  #app: FastifyInstance | null = null;
  readonly #deps: HttpDeps;

  constructor(deps: HttpDeps) {
    this.#deps = deps;
  }

  /** Builds the app (reads and checks the TLS files) without opening a socket; listen() does it otherwise. */
  async prepare(): Promise<void> {
    this.#built ??= await buildHttpApp(this.#deps);
  }

  async listen(): Promise<AddressInfo> {
    await this.prepare();
    const app = this.#built;
    if (app === null) throw new Error('https: the server could not be built');
    const { host, port } = this.#deps.config;
    try {
      await app.listen({ host, port });
    } catch (err) {
      this.#built = null;
      await app.close();
      const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      throw new Error(`https: cannot listen on ${host}:${port} (${code})`);
    }
    this.#app = app;
    this.#deps.metrics.watchOpenConnections('https', () => this.openConnections());
    const address = this.address();
    if (address === null) throw new Error('https: the server reports no address');
    return address;
  }

  address(): AddressInfo | null {
    const bound = this.#app?.server.address();
    return bound !== null && typeof bound === 'object' ? bound : null;
  }

  listening(): boolean {
    return this.#app?.server.listening ?? false;
  }

  openConnections(): Promise<number> {
    const server = this.#app?.server;
    if (server === undefined) return Promise.resolve(0);
    return new Promise((resolve) => server.getConnections((err, count) => resolve(err ? 0 : count)));
  }

  /** Stops accepting, lets requests in flight finish (their ingest commits), then ends connections. */
  async close(): Promise<void> {
    const app = this.#built;
    if (app === null) return;
    this.#built = null;
    this.#app = null;
    // A request still running after its own timeout is cut: nothing may hold the shutdown.
    const force = setTimeout(() => app.server.closeAllConnections(), this.#deps.config.requestTimeoutMs);
    try {
      await app.close();
    } finally {
      clearTimeout(force);
    }
  }
}

export function createHttpServer(deps: HttpDeps): HttpServer {
  return new HttpServer(deps);
}
