import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.ts';
import { configSchema, type Config, type DbConfig } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';

// Builds the service exactly as production does (createApp), on port 0, with logs captured in
// memory so tests can assert on them (and on what they must never contain).

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export type TestApp = {
  app: App;
  config: Config;
  port: number;
  logs: string[];
  close(): Promise<void>;
};

export async function startTestApp(db: DbConfig | 'sqlite', overrides: DeepPartial<Config> = {}): Promise<TestApp> {
  const tempDir = db === 'sqlite' ? mkdtempSync(join(tmpdir(), 'hl7-app-')) : null;
  const dbConfig = db === 'sqlite' ? { driver: 'sqlite', file: join(tempDir ?? '', 'store.sqlite') } : db;
  const config = configSchema.parse({
    ...overrides,
    mllp: { host: '127.0.0.1', port: 0, ...overrides.mllp },
    https: { enabled: false },
    db: { ...dbConfig, ...overrides.db },
    log: { level: 'debug' },
  });
  const logs: string[] = [];
  const log = createLogger(config.log, { write: (line: string) => void logs.push(line) });
  const app = createApp(config, log);
  const bound = await app.start();
  const port = bound.mllp?.port;
  if (port === undefined) throw new Error('MLLP did not bind');
  return {
    app,
    config,
    port,
    logs,
    async close() {
      await app.close();
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
