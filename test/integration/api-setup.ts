import type { AppOverrides } from '../../src/app.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { Config, DbConfig } from '../../src/config/schema.ts';
import { startTestApp, type DeepPartial, type TestApp } from '../support/app-harness.ts';
import { send, type Answer } from '../support/https-client.ts';
import { openRawPeer, readAck, type RawPeer } from '../support/mllp-raw.ts';
import { createTestPki, type TestPki } from '../support/tls.ts';

// The service as production builds it (createApp) with its HTTPS door on, a throw-away PKI, and
// four keys: read only, ingest only, both, operate (reprocess/retry; implies read). Shared by the operations-API integration tests.

export type ApiApp = TestApp & {
  pki: TestPki;
  keys: { read: string; ingest: string; both: string; operate: string };
  /** GET over HTTPS; `key: null` sends no Authorization header. */
  get(path: string, key?: string | null): Promise<Answer>;
  /** POST /hl7 with the ingest key. */
  post(message: string | Buffer): Promise<Answer>;
  /** POST a JSON body (none when undefined); `key: null` sends no Authorization header. */
  postJson(path: string, body?: unknown, key?: string | null): Promise<Answer>;
  /** An MLLP connection to the app; call `mllp.end()` when done. */
  openMllp(): Promise<Mllp>;
  /** Closes the app and removes the PKI. */
  stop(): Promise<void>;
};

export type Mllp = RawPeer & { sendAndRead(message: string | Buffer): Promise<ReturnType<typeof readAck>> };

export async function startApiApp(db: DbConfig | 'sqlite', overrides: DeepPartial<Config> = {}, appOverrides: AppOverrides = {}): Promise<ApiApp> {
  const pki = createTestPki();
  const keys = { read: newKey(), ingest: newKey(), both: newKey(), operate: newKey() };
  const t = await startTestApp(db, {
    ...overrides,
    https: {
      enabled: true,
      tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile, requestClientCert: false },
      apiKeys: [
        { name: 'ops-read', sha256: sha256(keys.read), roles: ['read'] },
        { name: 'ehr-ingest', sha256: sha256(keys.ingest), roles: ['ingest'] },
        { name: 'both', sha256: sha256(keys.both), roles: ['ingest', 'read'] },
        { name: 'ops-operate', sha256: sha256(keys.operate), roles: ['operate'] },
      ],
      ...overrides.https,
    },
  }, appOverrides);
  const port = t.httpsPort;
  if (port === null) throw new Error('HTTPS did not bind');
  return {
    ...t,
    pki,
    keys,
    get: (path, key = keys.read) =>
      send({ port, ca: pki.ca, method: 'GET', path, headers: key === null ? {} : { authorization: `Bearer ${key}` } }),
    post: (message) =>
      send({ port, ca: pki.ca, headers: { authorization: `Bearer ${keys.ingest}`, 'content-type': 'application/hl7-v2' }, body: message }),
    postJson: (path, body, key = keys.operate) => {
      const headers: Record<string, string> = key === null ? {} : { authorization: `Bearer ${key}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      return send({ port, ca: pki.ca, method: 'POST', path, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    },
    async openMllp() {
      const peer = await openRawPeer(t.port);
      let sent = 0;
      return {
        ...peer,
        async sendAndRead(message) {
          peer.send(message);
          return readAck(await peer.reply(++sent));
        },
      };
    },
    async stop() {
      await t.close();
      pki.cleanup();
    },
  };
}

function newKey(): string {
  return `hl7k_${randomBytes(12).toString('hex')}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
