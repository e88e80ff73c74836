import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app-harness.ts';
import { send, type SendOptions } from '../support/https-client.ts';
import { createTestDatabase } from '../support/mariadb.ts';
import { buildMessage } from '../support/messages.ts';
import { readAck } from '../support/mllp-raw.ts';
import { createTestPki, type KeyPair, type TestPki } from '../support/tls.ts';

// Who may do what over HTTPS: API keys (by role) and client certificates (listed subjects, signed
// by the CA), answered 401/403 with problem JSON, logged by key name and never by key. Then the
// rate limit per key and the allow-list at accept.

const INGEST_KEY = 'hl7k_auth-ingest-5e21';
const READ_KEY = 'hl7k_auth-read-9c04';
const BOTH_KEY = 'hl7k_auth-both-77aa';
const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const mariadb = await createTestDatabase('https_auth');
const db = mariadb?.config ?? ('sqlite' as const);

let pki: TestPki;
let listed: KeyPair;
let unlisted: KeyPair;
let rogue: KeyPair;

beforeAll(() => {
  pki = createTestPki();
  listed = pki.client('/C=CH/O=Hospital/CN=lab1');
  unlisted = pki.client('/C=CH/O=Hospital/CN=lab2');
  // Same subject as the listed one, but not signed by the CA: must not count.
  rogue = pki.client('/C=CH/O=Hospital/CN=lab1', { selfSigned: true });
});
afterAll(async () => {
  await mariadb?.drop();
  pki?.cleanup();
});

function tlsConfig(extra: Record<string, unknown> = {}) {
  return {
    enabled: true,
    tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true },
    apiKeys: [
      { name: 'ehr-cloud', sha256: sha(INGEST_KEY), roles: ['ingest' as const] },
      { name: 'dashboard', sha256: sha(READ_KEY), roles: ['read' as const] },
      { name: 'ops', sha256: sha(BOTH_KEY), roles: ['ingest' as const, 'read' as const] },
    ],
    clientCerts: [{ subject: 'CN=lab1,O=Hospital,C=CH', roles: ['ingest' as const] }],
    ...extra,
  };
}

describe('the auth matrix', () => {
  let t: TestApp;
  let n = 0;
  beforeAll(async () => {
    t = await startTestApp(db, { https: tlsConfig() });
  });
  afterAll(() => t?.close());

  type Who = { key?: string; header?: string; cert?: KeyPair };
  function call(method: string, path: string, who: Who) {
    const headers: Record<string, string> = {};
    if (who.key !== undefined) headers.authorization = `Bearer ${who.key}`;
    if (who.header !== undefined) headers.authorization = who.header;
    const options: SendOptions = { port: t.httpsPort ?? 0, ca: pki.ca, method, path, headers, key: who.cert?.key, cert: who.cert?.cert };
    if (method === 'POST') {
      headers['content-type'] = 'application/hl7-v2';
      options.body = buildMessage({ controlId: `AUTH-${++n}` });
    }
    return send(options);
  }

  const cases: [string, string, string, () => Who, number][] = [
    ['no key', 'POST', '/hl7', () => ({}), 401],
    ['an unknown key', 'POST', '/hl7', () => ({ key: 'hl7k_not-configured' }), 401],
    ['the configured hash as the key', 'POST', '/hl7', () => ({ key: sha(INGEST_KEY) }), 401],
    ['Basic credentials', 'POST', '/hl7', () => ({ header: 'Basic ZWhyOmNsb3Vk' }), 401],
    ['a read-only key', 'POST', '/hl7', () => ({ key: READ_KEY }), 403],
    ['an ingest key', 'POST', '/hl7', () => ({ key: INGEST_KEY }), 200],
    ['an ingest and read key', 'POST', '/hl7', () => ({ key: BOTH_KEY }), 200],
    ['a listed client certificate', 'POST', '/hl7', () => ({ cert: listed }), 200],
    ['an unlisted client certificate', 'POST', '/hl7', () => ({ cert: unlisted }), 401],
    ['a self-signed certificate with a listed subject', 'POST', '/hl7', () => ({ cert: rogue }), 401],
    ['a wrong key beside a listed certificate', 'POST', '/hl7', () => ({ cert: listed, key: 'hl7k_wrong' }), 401],
    ['an unlisted certificate with an ingest key', 'POST', '/hl7', () => ({ cert: unlisted, key: INGEST_KEY }), 200],
    ['a read key on the message list', 'GET', '/api/messages', () => ({ key: READ_KEY }), 200],
    ['an ingest key on the message list', 'GET', '/api/messages', () => ({ key: INGEST_KEY }), 403],
    ['a listed ingest-only certificate on the message list', 'GET', '/api/messages', () => ({ cert: listed }), 403],
    ['no key on the message list', 'GET', '/api/messages', () => ({}), 401],
    ['no key on liveness', 'GET', '/health/live', () => ({}), 200],
    ['no key on readiness', 'GET', '/health/ready', () => ({}), 200],
    ['no key on /metrics', 'GET', '/metrics', () => ({}), 401],
    ['a read key on /metrics', 'GET', '/metrics', () => ({ key: READ_KEY }), 200],
    ['no key on /docs/json', 'GET', '/docs/json', () => ({}), 401],
    ['a read key on /docs/json', 'GET', '/docs/json', () => ({ key: READ_KEY }), 200],
  ];

  it.each(cases.map(([name, method, path, who, status]) => ({ name, method, path, who, status })))(
    '$name: $method $path → $status',
    async ({ method, path, who, status }) => {
      const answer = await call(method, path, who());
      expect(answer.status).toBe(status);
      if (status === 401 || status === 403) {
        expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expect(answer.json()).toMatchObject({ type: 'about:blank', status });
      }
      if (status === 401) expect(answer.headers['www-authenticate']).toBe('Bearer');
      if (status === 200 && path === '/hl7') expect(readAck(answer.body).code).toBe('AA');
    },
  );

  it('documents POST /hl7 in the OpenAPI document, with its media types and the key it needs', async () => {
    const answer = await call('GET', '/docs/json', { key: READ_KEY });
    const doc = answer.json() as { paths: Record<string, { post?: { requestBody?: { content: object }; security?: unknown } }> };
    const post = doc.paths['/hl7']?.post;
    expect(Object.keys(post?.requestBody?.content ?? {})).toEqual(['application/hl7-v2', 'x-application/hl7-v2+er7']);
    expect(post?.security).toEqual([{ apiKey: [] }]);
  });

  it('logs refusals by key name, and never a key or an Authorization header', () => {
    const logs = t.logs.join('\n');
    const refusals = t.logs.filter((line) => line.includes('"request refused"'));
    expect(refusals.some((line) => line.includes('"keyName":"dashboard"') && line.includes('"status":403'))).toBe(true);
    expect(refusals.some((line) => line.includes('"status":401'))).toBe(true);
    expect(logs).toContain('"keyName":"ehr-cloud"');
    for (const secret of [INGEST_KEY, READ_KEY, BOTH_KEY, 'hl7k_not-configured', 'hl7k_wrong', 'ZWhyOmNsb3Vk']) {
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toMatch(/"authorization"/i);
    expect(logs).not.toMatch(/PAT-12345|TESTPATIENT/);
  });
});

describe('rate limit per key', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(db, { https: tlsConfig({ rateLimit: { max: 3, timeWindowMs: 60_000 } }) });
  });
  afterAll(() => t?.close());

  const get = (key: string) => send({ port: t.httpsPort ?? 0, ca: pki.ca, method: 'GET', path: '/api/messages?limit=1', headers: { authorization: `Bearer ${key}` } });

  it('answers 429 with a problem body and Retry-After past the limit, for that key only', async () => {
    for (let i = 0; i < 3; i++) expect((await get(READ_KEY)).status).toBe(200);
    const limited = await get(READ_KEY);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(limited.json()).toMatchObject({ status: 429, title: 'Too Many Requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another key from the same address has its own budget.
    expect((await get(BOTH_KEY)).status).toBe(200);
    expect(t.logs.join('\n')).toContain('rate limit exceeded');
    expect(t.logs.join('\n')).not.toContain(READ_KEY);
  });
});

describe('https.allow', () => {
  it('closes a connection from outside the list at accept, and logs it', async () => {
    const t = await startTestApp(db, { https: tlsConfig({ allow: ['10.99.0.0/16'] }) });
    try {
      const attempt = send({ port: t.httpsPort ?? 0, ca: pki.ca, method: 'GET', path: '/health/live' });
      await expect(attempt).rejects.toThrow(/ECONNRESET|socket hang up|disconnected/);
      const refused = t.logs.filter((line) => line.includes('connection refused: address not in https.allow'));
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatch(/"remote":"(::ffff:)?127\.0\.0\.1"/);
      // Refused before HTTP: no request was ever logged.
      expect(t.logs.some((line) => line.includes('"msg":"request"'))).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('serves a peer inside the list', async () => {
    const t = await startTestApp(db, { https: tlsConfig({ allow: ['127.0.0.0/8', '::1'] }) });
    try {
      expect((await send({ port: t.httpsPort ?? 0, ca: pki.ca, method: 'GET', path: '/health/live' })).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
