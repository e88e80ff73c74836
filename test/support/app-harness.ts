import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App, type AppOverrides } from '../../src/app.ts';
import { configSchema, type Config, type DbConfig } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';

// Builds the service exactly as production does (createApp), on port 0, with logs captured in
// memory so tests can assert on them (and on what they must never contain).

export type DeepPartial<T> = { [K in keyof T]?: DeepPartialValue<T[K]> };
/** Distributes over unions, so `https.tls` (an object or false) is partial too. */
type DeepPartialValue<V> = V extends readonly (infer E)[] ? DeepPartialValue<E>[] : V extends object ? DeepPartial<V> : V;

export type TestApp = {
  app: App;
  config: Config;
  port: number;
  /** The HTTP(S) door's port, when the test enabled it (`https: { enabled: true, tls: ... }`). */
  httpsPort: number | null;
  logs: string[];
  /** Resolves once a log line matching `pattern` has been written (at once if one was). */
  waitForLog(pattern: RegExp): Promise<void>;
  close(): Promise<void>;
};

export async function startTestApp(db: DbConfig | 'sqlite', overrides: DeepPartial<Config> = {}, appOverrides: AppOverrides = {}): Promise<TestApp> {
  const tempDir = db === 'sqlite' ? mkdtempSync(join(tmpdir(), 'hl7-app-')) : null;
  const dbConfig = db === 'sqlite' ? { driver: 'sqlite', file: join(tempDir ?? '', 'store.sqlite') } : db;
  const config = configSchema.parse({
    ...overrides,
    mllp: { host: '127.0.0.1', port: 0, ...overrides.mllp },
    // Off unless the test turns it on; on, it binds 127.0.0.1 on a free port unless told otherwise.
    https: overrides.https?.enabled === true ? { host: '127.0.0.1', port: 0, ...overrides.https } : { enabled: false },
    db: { ...dbConfig, ...overrides.db },
    log: { level: 'debug' },
  });
  const logs: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: () => void }> = [];
  const write = (line: string): void => {
    logs.push(line);
    for (const waiter of waiters.filter((w) => w.pattern.test(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const waitForLog = (pattern: RegExp): Promise<void> =>
    logs.some((line) => pattern.test(line)) ? Promise.resolve() : new Promise((resolve) => waiters.push({ pattern, resolve }));
  const log = createLogger(config.log, { write });
  const app = createApp(config, log, appOverrides);
  const bound = await app.start().catch((err: unknown) => {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  });
  const port = bound.mllp?.port;
  if (port === undefined) throw new Error('MLLP did not bind');
  return {
    app,
    config,
    port,
    httpsPort: bound.https?.port ?? null,
    logs,
    waitForLog,
    async close() {
      await app.close();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
