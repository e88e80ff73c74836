import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { loadHttpsTls } from '../../src/http/tls.ts';
import { send } from '../support/https-client.ts';
import { createTestDatabase, type TestDatabase } from '../support/mariadb.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { dockerignore, envOf, execForm, finalStage, makeSecrets, readCompose, root, secretMounts, seconds } from '../support/packaging.ts';
import { findClosedPort } from '../support/tcp-proxy.ts';

// The Docker packaging, checked without a Docker engine: what the Dockerfile and docker-compose.yml
// promise (non-root, node receiving SIGTERM, read-only root, secrets as files, the healthcheck), the
// demo secrets script, and the image's own CMD and HEALTHCHECK run against config-docker.yaml.

const stage = finalStage();
const imageEnv = envOf(stage);
const compose = readCompose();
const listener = compose.services.listener;
const mariadb = compose.services.mariadb;
const listenerMounts = secretMounts(listener);

const dir = mkdtempSync(join(tmpdir(), 'hl7-packaging-'));
const secrets = join(dir, 'secrets');
const configDir = join(dir, 'config');
const firstRun = makeSecrets(secrets);
mkdirSync(configDir);
copyFileSync(join(root, 'config', 'config-docker.yaml'), join(configDir, 'config-docker.yaml'));
copyFileSync(join(secrets, 'config-secured-docker.yaml'), join(configDir, 'config-secured-docker.yaml'));
const loaded = loadConfig({ env: 'docker', dir: configDir, key: undefined, keyFile: join(secrets, 'hl7_key') });
if (!loaded.ok) throw new Error(`config-docker.yaml with the demo secrets: ${JSON.stringify(loaded.problems)}`);
const config: Config = loaded.config;
const secret = (name: string) => readFileSync(join(secrets, name), 'utf8').trim();

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Dockerfile', () => {
  it('runs node itself, as an unprivileged user, with the health command as its healthcheck', () => {
    const user = stage.filter((i) => i.op === 'USER').at(-1)?.args;
    expect(user).toBe('node');
    expect(execForm(stage.find((i) => i.op === 'CMD'))).toEqual(['node', '--import', 'tsx', 'src/main.ts', 'start']);
    expect(execForm(stage.find((i) => i.op === 'HEALTHCHECK'))).toEqual(['node', '--import', 'tsx', 'src/main.ts', 'health']);
    expect(stage.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(/\s+/))).toEqual(['30500', '8443']);
    expect(imageEnv).toMatchObject({ HL7_ENV: 'docker', HL7_CONFIG_DIR: '/app/config' });
  });

  it('bakes in no secret: no key or password in ENV/ARG, secrets and secured configs kept out of the context', () => {
    const declared = stage.filter((i) => i.op === 'ENV' || i.op === 'ARG').map((i) => i.args).join(' ');
    expect(declared).not.toMatch(/KEY|PASSWORD|SECRET/i);
    expect(dockerignore()).toEqual(expect.arrayContaining(['secrets', 'config/config-secured-*.yaml', '.env']));
  });
});

describe('docker-compose.yml', () => {
  it('runs the listener read-only with a tmpfs /tmp, an init, no capabilities, after MariaDB is healthy', () => {
    expect(listener).toMatchObject({ read_only: true, init: true, cap_drop: ['ALL'], depends_on: { mariadb: { condition: 'service_healthy' } } });
    expect(listener.tmpfs).toContain('/tmp');
    expect(listener.ports.map((p) => p.split(':').at(-1))).toEqual(['30500', '8443']);
  });

  it('gives in-flight messages time to finish before SIGKILL', () => {
    const shutdownMs = config.https.requestTimeoutMs + config.mllp.drainTimeoutMs;
    expect(seconds(listener.stop_grace_period ?? '10s') * 1000).toBeGreaterThan(shutdownMs);
  });

  it('mounts every file the config names as a secret: TLS pair, HL7_KEY_FILE, the secured config', () => {
    const mounted = [...listenerMounts.values()];
    const tls = config.https.tls;
    expect(tls).not.toBe(false);
    if (tls === false || tls === undefined) return;
    expect(mounted).toEqual(
      expect.arrayContaining([tls.keyFile, tls.certFile, listener.environment.HL7_KEY_FILE, `${imageEnv.HL7_CONFIG_DIR}/config-secured-docker.yaml`]),
    );
    expect(listener.environment.HL7_ENV).toBe('docker');
  });

  it('gives MariaDB a named volume, a healthcheck, and its passwords as files for the account the config uses', () => {
    expect(mariadb.image).toBe('mariadb:11.4');
    const [volume] = mariadb.volumes;
    expect(volume).toBe('mariadb-data:/var/lib/mysql');
    expect(Object.keys(compose.volumes)).toContain('mariadb-data');
    expect(mariadb.healthcheck?.test).toContain('healthcheck.sh');
    expect(mariadb.environment).toMatchObject({ MARIADB_DATABASE: config.db.database, MARIADB_USER: config.db.user });
    expect(Object.keys(mariadb.environment).filter((k) => /PASSWORD$/.test(k))).toEqual([]);
    const mounts = secretMounts(mariadb);
    expect([...mounts.values()]).toEqual(expect.arrayContaining([mariadb.environment.MARIADB_PASSWORD_FILE, mariadb.environment.MARIADB_ROOT_PASSWORD_FILE]));
  });

  it('reads every secret from ./secrets/, the files scripts/docker-secrets.sh makes', () => {
    const files = Object.values(compose.secrets).map((s) => s.file);
    const made = readdirSync(secrets).filter((f) => f !== 'api-key'); // the demo key is for the user, not mounted
    expect(files.sort()).toEqual(made.map((f) => `./secrets/${f}`).sort());
  });
});

describe('scripts/docker-secrets.sh', () => {
  it('makes a folder only its owner can list, of files the container user (uid 1000) can read', () => {
    expect(statSync(secrets).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(secrets)) expect([file, statSync(join(secrets, file)).mode & 0o777]).toEqual([file, 0o644]);
  });

  it('makes a certificate for localhost that the HTTPS door accepts, and a config that loads', () => {
    expect(() => loadHttpsTls({ keyFile: join(secrets, 'https-key.pem'), certFile: join(secrets, 'https-cert.pem'), requestClientCert: false })).not.toThrow();
    const cert = new X509Certificate(readFileSync(join(secrets, 'https-cert.pem')));
    expect(cert.subjectAltName).toBe('DNS:localhost, DNS:listener, IP Address:127.0.0.1');
    expect(config.db.password).toBe(secret('db_password'));
    const digest = createHash('sha256').update(secret('api-key')).digest('hex');
    expect(config.https.apiKeys).toEqual([{ name: 'demo', sha256: digest, roles: ['ingest', 'read'] }]);
    expect(firstRun).toMatch(/^created {2}.*db_password$/m);
  });

  it('keeps what exists when run again', () => {
    const before = readdirSync(secrets).map((f) => readFileSync(join(secrets, f), 'utf8'));
    expect(makeSecrets(secrets)).not.toMatch(/^created/m);
    expect(readdirSync(secrets).map((f) => readFileSync(join(secrets, f), 'utf8'))).toEqual(before);
  });
});

const database = await createTestDatabase('packaging');

describe.skipIf(database === null)('the image command and healthcheck, on config-docker.yaml (MariaDB)', () => {
  const db = database as TestDatabase;
  afterAll(() => db.drop());

  it('starts with CMD, is healthy by HEALTHCHECK, takes messages (HTTPS with the demo key, MLLP), exits 0 on SIGTERM', async () => {
    const { mllpPort, httpsPort } = await deployLocally(db);
    const service = run(execForm(stage.find((i) => i.op === 'CMD')));
    try {
      await service.output(/"msg":"hl7v2-listener started"/);
      const check = run(execForm(stage.find((i) => i.op === 'HEALTHCHECK')));
      expect(await check.exited).toBe(0);
      expect(check.stdout()).toMatch(/^readiness https:\/\/127\.0\.0\.1:\d+\/health\/ready: 200 ready \(store: up, mllp: up, https: up, processing: up\)\n$/);
      const message = readFileSync(join(root, 'test/fixtures/corpus/valid/hapi__docs_example_ADT_A01_v24.hl7'));
      const headers = { authorization: `Bearer ${secret('api-key')}`, 'content-type': 'application/hl7-v2' };
      // Verified against the demo certificate, by name: what curl --cacert secrets/https-cert.pem does.
      const answer = await send({ port: httpsPort, ca: readFileSync(join(secrets, 'https-cert.pem')), headers, body: message });
      expect([answer.status, answer.text]).toEqual([200, expect.stringMatching(/\rMSA\|AA\|/)]);
      const peer = await openRawPeer(mllpPort);
      peer.send(readFileSync(join(root, 'test/fixtures/corpus/valid/rethink__adt-a01-full.hl7')));
      expect(readAck(await peer.reply(1)).code).toBe('CA');
      peer.end();
    } finally {
      service.child.kill('SIGTERM');
    }
    expect(await service.exited).toBe(0);
    expect(service.stdout()).toMatch(/"msg":"hl7v2-listener stopped"/);
  });
});

const section = z.record(z.string(), z.unknown());
const yamlTree = z.object({ mllp: section.optional(), https: section.optional(), db: section.optional() }).catchall(z.unknown());

/** config-docker.yaml as the container sees it, on this machine: secrets from the temp folder, the test database, free ports. */
async function deployLocally(db: TestDatabase): Promise<{ mllpPort: number; httpsPort: number }> {
  const mllpPort = await findClosedPort();
  let httpsPort = await findClosedPort();
  while (httpsPort === mllpPort) httpsPort = await findClosedPort();
  const plain = readFileSync(join(root, 'config', 'config-docker.yaml'), 'utf8').replaceAll('/run/secrets/', `${secrets}/`);
  const tree = yamlTree.parse(load(plain));
  const overrides = {
    mllp: { ...tree.mllp, host: '127.0.0.1', port: mllpPort },
    https: { ...tree.https, host: '127.0.0.1', port: httpsPort },
    db: { ...tree.db, host: db.config.host, port: db.config.port, database: db.config.database, user: db.config.user },
  };
  writeFileSync(join(configDir, 'config-docker.yaml'), dump({ ...tree, ...overrides }));
  const secured = yamlTree.parse(load(readFileSync(join(secrets, 'config-secured-docker.yaml'), 'utf8')));
  writeFileSync(join(configDir, 'config-secured-docker.yaml'), dump({ ...secured, db: { ...secured.db, password: db.config.password } }));
  return { mllpPort, httpsPort };
}

type Run = { child: ReturnType<typeof spawn>; exited: Promise<number | null>; stdout: () => string; output: (pattern: RegExp) => Promise<void> };

/** An exec-form command of the Dockerfile, run as the image would: node, the repository as /app, the compose environment. */
function run(command: string[]): Run {
  const [program, ...args] = command;
  expect(program).toBe('node');
  const tmp = mkdtempSync(join(dir, 'tmp-'));
  const environment = { ...process.env, ...imageEnv, HL7_CONFIG_DIR: configDir, HL7_KEY_FILE: join(secrets, 'hl7_key'), TMPDIR: tmp };
  const child = spawn(process.execPath, args, { cwd: root, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const output = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const look = () => {
        if (!pattern.test(out)) return;
        child.stdout.off('data', look);
        resolve();
      };
      child.stdout.on('data', look);
      void exited.then((code) => reject(new Error(`exited (${code}) before ${pattern}: ${out}`)));
    });
  return { child, exited, stdout: () => out, output };
}
