import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../config/schema.ts';
import { startTestApp, type DeepPartial, type TestApp } from '../../test/support/app-harness.ts';
import { createTestDatabase, type TestDatabase } from '../../test/support/mariadb.ts';
import { createTcpProxy, findClosedPort, type TcpProxy } from '../../test/support/tcp-proxy.ts';
import { createTestPki, type TestPki } from '../../test/support/tls.ts';
import { probeHost, runHealth, type HealthOptions } from './health.ts';

// `npm run health` against the real service (createApp): with the HTTPS door on it asks
// GET /health/ready and says why it fails; MLLP-only it checks the MLLP port and the store.

type Run = { code: number; out: string[]; err: string[] };

async function health(config: Config, options: HealthOptions = {}): Promise<Run> {
  const run: Run = { code: -1, out: [], err: [] };
  run.code = await runHealth(config, { out: (l) => run.out.push(l), err: (l) => run.err.push(l) }, options);
  return run;
}

/** The app's config as the container sees it: the door on a wildcard address, at its real port. */
function asDeployed(t: TestApp, https: Partial<Config['https']> = {}): Config {
  return { ...t.config, https: { ...t.config.https, host: '0.0.0.0', port: t.httpsPort ?? 0, ...https } };
}

describe('probeHost', () => {
  it.each([
    ['0.0.0.0', '127.0.0.1'],
    ['::', '127.0.0.1'],
    ['127.0.0.1', '127.0.0.1'],
    ['10.1.2.3', '10.1.2.3'],
    ['::1', '::1'],
  ])('probes %s on %s', (listen, probed) => {
    expect(probeHost(listen)).toBe(probed);
  });
});

const readyLine = /^readiness https:\/\/127\.0\.0\.1:\d+\/health\/ready: 200 ready \(store: up, mllp: up, https: up, processing: up\)$/;

describe('health with the HTTPS door on (embedded store)', () => {
  let pki: TestPki;
  const apps: TestApp[] = [];

  async function start(overrides: DeepPartial<Config> = {}): Promise<TestApp> {
    const tls = { keyFile: pki.server.keyFile, certFile: pki.server.certFile };
    const t = await startTestApp('sqlite', { ...overrides, https: { enabled: true, tls, ...overrides.https } });
    apps.push(t);
    return t;
  }

  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(async () => {
    for (const t of apps) await t.close();
    pki?.cleanup();
  });

  it('exits 0 when the service is ready, probing 127.0.0.1 for a 0.0.0.0 door, over TLS it does not verify', async () => {
    const t = await start();
    const run = await health(asDeployed(t));
    expect(run).toEqual({ code: 0, out: [expect.stringMatching(readyLine)], err: [] });
  });

  it('speaks plain HTTP when https.tls is false', async () => {
    const t = await start({ https: { tls: false } });
    const run = await health(asDeployed(t, { tls: false }));
    expect(run.code).toBe(0);
    expect(run.out).toEqual([expect.stringMatching(/^readiness http:\/\/127\.0\.0\.1:\d+\/health\/ready: 200 ready/)]);
  });

  it('exits 1 naming the door that is down', async () => {
    const t = await start();
    await t.app.mllp?.close();
    const run = await health(asDeployed(t));
    expect(run.code).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(/: 503 not ready \(store: up, mllp: down, https: up, processing: up\)$/)]);
  });

  it('exits 1 with a hint when https.allow leaves out the probe address', async () => {
    const t = await start({ https: { allow: ['10.0.0.0/8'] } });
    const run = await health(asDeployed(t, { allow: ['10.0.0.0/8'] }));
    expect(run.code).toBe(1);
    expect(run.err).toEqual([expect.stringMatching(/\(127\.0\.0\.1 is not in https\.allow: the service closes the probe at accept\)$/)]);
  });
});

describe('health against something that is not a ready service', () => {
  const servers: Server[] = [];
  const held: Socket[] = [];

  async function listen(server: Server): Promise<number> {
    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return (server.address() as AddressInfo).port;
  }

  afterAll(async () => {
    for (const socket of held) socket.destroy();
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });

  // Only the HTTPS door's slice matters to this probe.
  const door = (port: number): Config => configSchema.parse({ https: { enabled: true, host: '0.0.0.0', port, tls: false } });

  it.each([
    {
      what: 'nothing listens on the port',
      port: () => findClosedPort(),
      line: /^readiness http:\/\/127\.0\.0\.1:\d+\/health\/ready: connect ECONNREFUSED 127\.0\.0\.1:\d+$/,
    },
    {
      what: 'another program answers on the port',
      port: () => listen(createHttpServer((_req, res) => res.writeHead(404).end('not here'))),
      line: /: HTTP 404, not a readiness answer$/,
    },
    {
      what: 'the port accepts and never answers',
      port: () => listen(createServer((socket) => void held.push(socket))),
      line: /: no answer within 200 ms$/,
    },
  ])('exits 1 when $what', async ({ port, line }) => {
    const run = await health(door(await port()), { timeoutMs: 200 });
    expect(run).toEqual({ code: 1, out: [], err: [expect.stringMatching(line)] });
  });
});

describe('health of an MLLP-only deployment (https.enabled: false)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(() => t?.close());

  it('checks the MLLP port and the store, as before', async () => {
    const config = { ...t.config, mllp: { ...t.config.mllp, host: '0.0.0.0', port: t.port } };
    expect(await health(config)).toEqual({ code: 0, out: ['mllp: ok', 'store: ok'], err: [] });
  });

  it('exits 1 when the MLLP port is closed', async () => {
    const config = { ...t.config, mllp: { ...t.config.mllp, port: await findClosedPort() } };
    const run = await health(config);
    expect(run.code).toBe(1);
    expect(run.out).toEqual(['store: ok']);
    expect(run.err).toEqual([expect.stringMatching(/^mllp: cannot connect to 127\.0\.0\.1:\d+: connect ECONNREFUSED/)]);
  });
});

const mariadb = await createTestDatabase('cli_health');

describe.skipIf(mariadb === null)('health when the database is cut (mariadb behind a proxy)', () => {
  const db = mariadb as TestDatabase;
  let proxy: TcpProxy;
  let pki: TestPki;
  let https: TestApp;
  let mllpOnly: TestApp;

  beforeAll(async () => {
    proxy = await createTcpProxy(db.config.host, db.config.port);
    pki = createTestPki();
    const dbConfig = { ...db.config, port: proxy.port, queryTimeoutMs: 1000, connectTimeoutMs: 500 };
    const tls = { keyFile: pki.server.keyFile, certFile: pki.server.certFile };
    https = await startTestApp(dbConfig, { https: { enabled: true, tls } });
    mllpOnly = await startTestApp(dbConfig);
  });
  afterAll(async () => {
    await https?.close();
    await mllpOnly?.close();
    await proxy?.close();
    pki?.cleanup();
    await db.drop();
  });

  it('exits 0 while the database answers, 1 with "store: down" once it is cut', async () => {
    expect((await health(asDeployed(https))).code).toBe(0);
    proxy.cut();
    // Readiness bounds its ping by db.queryTimeoutMs and the probe waits a second more, so a probe
    // that timed out would say "no answer" here instead.
    const run = await health(asDeployed(https));
    expect(run).toEqual({ code: 1, out: [], err: [expect.stringMatching(/: 503 not ready \(store: down, mllp: up, https: up, processing: unknown\)$/)] });
  });

  it('MLLP-only: exits 1 with the store error', async () => {
    proxy.cut();
    const run = await health({ ...mllpOnly.config, mllp: { ...mllpOnly.config.mllp, port: mllpOnly.port } });
    expect(run.code).toBe(1);
    expect(run.out).toEqual(['mllp: ok']);
    expect(run.err).toEqual([expect.stringMatching(/^store: cannot reach MariaDB at 127\.0\.0\.1:\d+ /)]);
  });
});
