import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send } from '../support/https-client.ts';
import { createTestDatabase, serverConfig } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { openRawPeer, readAck } from '../support/mllp-raw.ts';
import { runService, writeConfigDir } from '../support/service-process.ts';
import { createTestPki } from '../support/tls.ts';

// Secrets: HL7_KEY and what it decrypts never show in logs, error output, /metrics, or the
// process's command line and title. The real service process, a secured config made with the
// real `secure encrypt` command, and (when MariaDB is up) a database account whose password is that
// secret, so the service can only start if it really decrypted and used it.

const KEY = `hl7-master-key-${randomBytes(12).toString('hex')}`;
const WRONG_KEY = `hl7-wrong-key-${randomBytes(12).toString('hex')}`;
const SECRET = `db-pass-${randomBytes(12).toString('hex')}`;
const API_KEY = `hl7k_${randomBytes(24).toString('base64url')}`;
const pki = createTestPki();
const mariadb = await createTestDatabase('secrets');
const dbUser = `hl7_sec_${randomBytes(4).toString('hex')}`;
const userHosts = ['%', 'localhost', '127.0.0.1'];

type Run = ReturnType<typeof runService>;

/** Things that must never be printed, by name (the failure message names which one leaked). */
function leaks(text: string): string[] {
  const serverKeyBody = pki.server.key.toString().split('\n')[1] ?? 'unset';
  const secrets = { HL7_KEY: KEY, 'wrong HL7_KEY': WRONG_KEY, 'decrypted db.password': SECRET, 'API key': API_KEY, 'TLS private key': serverKeyBody };
  return Object.entries(secrets)
    .filter(([, value]) => text.includes(value))
    .map(([name]) => name);
}

async function asAdmin(sql: string[]): Promise<void> {
  const { host, port, user, password } = serverConfig();
  const admin = await createConnection({ host, port, user, password });
  try {
    for (const statement of sql) await admin.query(statement);
  } finally {
    await admin.end();
  }
}

function encryptWithCli(value: string, configDir: string): Promise<string> {
  const run = runService(['secure', 'encrypt', value], configDir, { HL7_KEY: KEY });
  return run.exited.then(({ code }) => {
    if (code !== 0) throw new Error(`secure encrypt failed (${code}): ${run.stderr()}`);
    return run.stdout().trim();
  });
}

/** Resolves with the bound ports once the start-up line is out; rejects if the process exits first. */
function started(run: Run): Promise<{ mllp: number; https: number }> {
  return new Promise((resolve, reject) => {
    const onData = () => {
      const line = run.stdout().split('\n').find((l) => l.includes('"msg":"hl7v2-listener started"'));
      if (line === undefined) return;
      run.child.stdout?.off('data', onData);
      const fields = JSON.parse(line) as { mllp: string; https: string };
      resolve({ mllp: Number(fields.mllp.split(':').pop()), https: Number(fields.https.split(':').pop()) });
    };
    run.child.stdout?.on('data', onData);
    void run.exited.then(({ code }) => reject(new Error(`service exited (${code}) before listening: ${run.stderr()}`)));
  });
}

describe(`secrets stay secret (real service process, ${mariadb ? 'mariadb' : 'sqlite'})`, () => {
  let configDir: string;
  let service: Run;
  let ports: { mllp: number; https: number };

  beforeAll(async () => {
    configDir = writeConfigDir('{}');
    const db = mariadb
      ? { driver: 'mariadb', host: mariadb.config.host, port: mariadb.config.port, database: mariadb.config.database, user: dbUser }
      : { driver: 'sqlite', file: join(configDir, 'store.sqlite') };
    if (mariadb) {
      await asAdmin(userHosts.flatMap((h) => [
        `CREATE USER '${dbUser}'@'${h}' IDENTIFIED BY '${SECRET}'`,
        `GRANT ALL ON \`${mariadb.config.database}\`.* TO '${dbUser}'@'${h}'`,
      ]));
    }
    const config = {
      mllp: { host: '127.0.0.1', port: 0 },
      https: {
        enabled: true,
        host: '127.0.0.1',
        port: 0,
        tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile },
        openMetrics: true,
        apiKeys: [{ name: 'ops', sha256: createHash('sha256').update(API_KEY).digest('hex'), roles: ['ingest', 'read'] }],
      },
      db,
      log: { level: 'debug' },
    };
    writeFileSync(join(configDir, 'config-test.yaml'), JSON.stringify(config)); // JSON is YAML
    const ciphertext = await encryptWithCli(SECRET, configDir);
    expect(ciphertext).toMatch(/^!\[[A-Za-z0-9_-]+\]$/);
    writeFileSync(join(configDir, 'config-secured-test.yaml'), `db:\n  password: '${ciphertext}'\n`);
    service = runService(['start'], configDir, { HL7_KEY: KEY });
    ports = await started(service);
  });

  afterAll(async () => {
    if (service?.child.exitCode === null) {
      service.child.kill('SIGKILL');
      await service.exited;
    }
    if (mariadb) await asAdmin(userHosts.map((h) => `DROP USER IF EXISTS '${dbUser}'@'${h}'`));
    await mariadb?.drop();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    pki.cleanup();
  });

  it('started with the decrypted secret (MariaDB: it logged in with it) and answers', async () => {
    const peer = await openRawPeer(ports.mllp);
    peer.send(buildMessage({ controlId: 'SECRETS-1' }));
    expect(readAck(await peer.reply(1)).code).toBe('AA');
    peer.end();
    await peer.closed;
  });

  it('keeps the key and the secret out of the command line and the process title', () => {
    const pid = String(service.child.pid);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    const title = execFileSync('ps', ['-o', 'args=', '-p', pid], { encoding: 'utf8' });
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8');
    expect(cmdline).toContain('main.ts start'); // we are looking at the service itself
    expect(leaks(`${cmdline}\n${title}\n${comm}`)).toEqual([]);
  });

  it('keeps them out of /metrics', async () => {
    const answer = await send({ port: ports.https, ca: pki.ca, method: 'GET', path: '/metrics' });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('hl7_messages_total');
    expect(leaks(answer.text)).toEqual([]);
  });

  it('keeps them out of HTTP answers to good and bad credentials', async () => {
    const headers = { 'content-type': 'application/hl7-v2' };
    const good = await send({ port: ports.https, ca: pki.ca, headers: { ...headers, authorization: `Bearer ${API_KEY}` }, body: buildMessage({ controlId: 'SECRETS-2' }) });
    const bad = await send({ port: ports.https, ca: pki.ca, headers: { ...headers, authorization: `Bearer ${KEY}` }, body: buildMessage({ controlId: 'SECRETS-3' }) });
    expect([good.status, bad.status]).toEqual([200, 401]);
    expect(leaks(`${good.text}\n${bad.text}\n${JSON.stringify(bad.headers)}`)).toEqual([]);
  });

  it('keeps them out of every log line, shutdown included', async () => {
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(service.stdout()).toContain('"msg":"hl7v2-listener stopped"');
    expect(leaks(service.stdout() + service.stderr())).toEqual([]);
  });

  it.each([
    ['a wrong HL7_KEY', WRONG_KEY, /db\.password: cannot decrypt \(wrong HL7_KEY or tampered value\)/],
    ['an empty HL7_KEY', '', /db\.password: value is encrypted but HL7_KEY is empty/],
  ])('stops start-up on %s naming the value, printing neither key nor secret', async (_name, key, message) => {
    const run = runService(['start'], configDir, { HL7_KEY: key });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(message);
    expect(leaks(run.stdout() + run.stderr())).toEqual([]);
  });

  it('`secure decrypt` with a wrong key says so without printing either key', async () => {
    const ciphertext = readFileSync(join(configDir, 'config-secured-test.yaml'), 'utf8').match(/'(!\[.*\])'/)?.[1] ?? '';
    const run = runService(['secure', 'decrypt', ciphertext], configDir, { HL7_KEY: WRONG_KEY });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain('cannot decrypt: wrong HL7_KEY or tampered value');
    expect(leaks(run.stdout() + run.stderr())).toEqual([]);
  });

  it.skipIf(!mariadb)('does not print the decrypted password when the database refuses it', async () => {
    await asAdmin(userHosts.map((h) => `ALTER USER '${dbUser}'@'${h}' IDENTIFIED BY 'another-${SECRET.slice(-4)}'`));
    const run = runService(['start'], configDir, { HL7_KEY: KEY });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toMatch(/cannot start/);
    expect(leaks(run.stdout() + run.stderr())).toEqual([]);
  });
});
