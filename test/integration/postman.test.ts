import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import newman, { type NewmanRunSummary } from 'newman';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/mariadb.ts';
import { startService, writeConfigDir, type ServiceProcess } from '../support/service-process.ts';
import { createTestPki, type TestPki } from '../support/tls.ts';

// The Postman collection, run by newman against the REAL service process (src/main.ts) with HTTPS
// on a test certificate and MariaDB (or the embedded store without it). Every pm.test in the
// collection is an assertion: one failure fails this test, with its name in the message.

const postman = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'resources', 'postman');
const collection = join(postman, 'hl7v2-listener.postman_collection.json');
const environment = join(postman, 'hl7v2-listener.postman_environment.json');

const mariadb = await createTestDatabase('postman');

function configYaml(pki: TestPki, keySha256: string, sqliteDir: string): string {
  const db = mariadb
    ? ['db:', '  driver: mariadb', `  host: ${mariadb.config.host}`, `  port: ${mariadb.config.port}`, `  user: ${mariadb.config.user}`,
        `  password: "${mariadb.config.password}"`, `  database: ${mariadb.config.database}`]
    : ['db:', '  driver: sqlite', `  file: "${join(sqliteDir, 'store.sqlite')}"`];
  return [
    'mllp:', '  host: 127.0.0.1', '  port: 0',
    'https:', '  enabled: true', '  host: 127.0.0.1', '  port: 0',
    '  tls:', `    keyFile: "${pki.server.keyFile}"`, `    certFile: "${pki.server.certFile}"`,
    '  apiKeys:', '    - name: postman', `      sha256: ${keySha256}`, '      roles: [ingest, read, operate]',
    ...db,
  ].join('\n');
}

function runNewman(baseUrl: string, apiKey: string): Promise<NewmanRunSummary> {
  return new Promise((resolveRun, reject) => {
    newman.run(
      {
        collection,
        environment,
        envVar: [{ key: 'baseUrl', value: baseUrl }, { key: 'apiKey', value: apiKey }],
        // The test certificate is signed by a throw-away CA.
        insecure: true,
        reporters: [],
        timeoutRequest: 10_000,
      },
      (err, summary) => (err ? reject(err) : resolveRun(summary)),
    );
  });
}

describe(`Postman collection with newman against the real service (${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let pki: TestPki;
  let service: ServiceProcess;
  let sqliteDir: string;
  let configDir: string;
  let baseUrl: string;
  const apiKey = `hl7k_${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    pki = createTestPki();
    sqliteDir = mkdtempSync(join(tmpdir(), 'hl7-postman-'));
    configDir = writeConfigDir(configYaml(pki, createHash('sha256').update(apiKey).digest('hex'), sqliteDir));
    service = await startService(configDir);
    const https = /"https":"[^"]*:(\d+)"/.exec(service.stdout());
    if (https === null) throw new Error(`the service logged no HTTPS address: ${service.stdout()}`);
    baseUrl = `https://127.0.0.1:${https[1]}`;
  });
  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      service.child.kill('SIGTERM');
      await service.exited;
    }
    await mariadb?.drop();
    pki?.cleanup();
    for (const dir of [sqliteDir, configDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes every assertion of the collection, twice in a row (reruns use fresh control ids)', async () => {
    for (const round of [1, 2]) {
      const summary = await runNewman(baseUrl, apiKey);
      const failures = summary.run.failures.map((f) => `round ${round}: ${f.source?.name ?? '?'}: ${f.error.test ?? ''} ${f.error.message}`);
      expect(failures).toEqual([]);
      expect(summary.run.stats.requests.total).toBe(30);
      expect(summary.run.stats.requests.failed).toBe(0);
      // The collection really asserts something: a run without tests would pass vacuously.
      expect(summary.run.stats.assertions.total).toBeGreaterThanOrEqual(40);
    }
  });

  it('never logs message content or patient identifiers', () => {
    const logs = service.stdout() + service.stderr();
    expect(logs).not.toContain('SAMPLE^PAT');
    expect(logs).not.toMatch(/"PM\d{10,}/);
    expect(logs).not.toContain(apiKey);
  });
});
