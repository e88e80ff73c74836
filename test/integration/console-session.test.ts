import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionViewSchema, type SessionView } from '../../src/console/api.ts';
import type { Config } from '../../src/config/schema.ts';
import { startTestApp, type DeepPartial, type TestApp } from '../support/app-harness.ts';
import { send, type Answer } from '../support/https-client.ts';
import { createTestPki, type KeyPair, type TestPki } from '../support/tls.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// The console's sign-in over real HTTPS (createApp on port 0): the cookie's attributes, cookie-only
// access to the API, the CSRF rules for state-changing requests, roles looked up per request and
// never `ingest`, sign-out, expiry on an injected clock, tampering, and the console switched off.

const t0 = Date.parse('2026-12-02T08:00:00Z');
const cookieLine = /^__Host-hl7-console=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/;

type Call = { cookie?: string; csrf?: string; key?: string; site?: string; body?: unknown; background?: boolean };

function client(api: ApiApp) {
  const call = (method: string, path: string, how: Call = {}): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (how.cookie !== undefined) headers.cookie = how.cookie;
    if (how.csrf !== undefined) headers['x-csrf-token'] = how.csrf;
    if (how.key !== undefined) headers.authorization = `Bearer ${how.key}`;
    if (how.site !== undefined) headers['sec-fetch-site'] = how.site;
    if (how.background === true) headers['x-console-background'] = '1';
    if (how.body !== undefined) headers['content-type'] = 'application/json';
    const body = how.body === undefined ? undefined : JSON.stringify(how.body);
    return send({ port: api.httpsPort ?? 0, ca: api.pki.ca, method, path, headers, ...(body === undefined ? {} : { body }) });
  };
  /** Signs in with `key`; the cookie (name=value, as a browser sends it back) and the session view. */
  const signIn = async (key: string): Promise<{ cookie: string; view: SessionView; answer: Answer }> => {
    const answer = await call('POST', '/api/console/session', { body: { apiKey: key }, site: 'same-origin' });
    expect(answer.status).toBe(200);
    return { cookie: cookieOf(answer), view: sessionViewSchema.parse(answer.json()), answer };
  };
  return { call, signIn };
}

/** The name=value pair of the one Set-Cookie line. */
function cookieOf(answer: Answer): string {
  const lines = answer.headers['set-cookie'] ?? [];
  expect(lines).toHaveLength(1);
  return (lines[0] ?? '').split(';')[0] ?? '';
}

describe('console sessions', () => {
  let api: ApiApp;
  let now = t0;
  let call: ReturnType<typeof client>['call'];
  let signIn: ReturnType<typeof client>['signIn'];
  beforeAll(async () => {
    api = await startApiApp('sqlite', { console: { signInsPerMinute: 1000 } }, { clock: () => new Date(now), runEngine: false });
    ({ call, signIn } = client(api));
  });
  afterAll(() => api?.stop());

  it('signs in with a read key: the cookie attributes exactly, and the session view', async () => {
    const { answer, view } = await signIn(api.keys.read);
    expect(answer.headers['set-cookie']).toEqual([expect.stringMatching(cookieLine)]);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(view).toEqual({
      name: 'ops-read',
      via: 'key',
      roles: ['read'],
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      idleExpiresAt: new Date(now + 15 * 60_000).toISOString(),
      expiresAt: new Date(now + 8 * 3_600_000).toISOString(),
    });
    expect(api.logs.some((line) => line.includes('"msg":"console sign-in"') && line.includes('"keyName":"ops-read"') && line.includes('"via":"key"'))).toBe(true);
  });

  it('says once at start that sessions end at a restart without console.sessionKey', () => {
    expect(api.logs.filter((line) => line.includes('console.sessionKey is not set'))).toHaveLength(1);
  });

  it('lets the cookie alone read the API, and GET /api/console/session describe it', async () => {
    const { cookie, view } = await signIn(api.keys.read);
    expect((await call('GET', '/api/messages', { cookie })).status).toBe(200);
    const shown = await call('GET', '/api/console/session', { cookie });
    expect(shown.status).toBe(200);
    expect(shown.json()).toEqual(view);
  });

  describe('a state-changing request with the cookie of an operate session', () => {
    let cookie: string;
    let csrf: string;
    beforeAll(async () => {
      const session = await signIn(api.keys.operate);
      cookie = session.cookie;
      csrf = session.view.csrfToken;
    });
    const reprocess = '/api/messages/999999/reprocess';
    const csrfMissing = "the console's CSRF token is missing or wrong: reload the console";

    it.each<[string, () => Call, number, string?]>([
      ['without the CSRF token', () => ({ cookie }), 403, csrfMissing],
      ['with a wrong token', () => ({ cookie, csrf: `${csrf.slice(0, -1)}A` === csrf ? `${csrf.slice(0, -1)}B` : `${csrf.slice(0, -1)}A` }), 403, csrfMissing],
      ['with the token', () => ({ cookie, csrf }), 404],
      ['with the token, Sec-Fetch-Site: same-origin', () => ({ cookie, csrf, site: 'same-origin' }), 404],
      ['with the token, Sec-Fetch-Site: none', () => ({ cookie, csrf, site: 'none' }), 404],
      ['with the token, Sec-Fetch-Site: cross-site', () => ({ cookie, csrf, site: 'cross-site' }), 403, 'Sec-Fetch-Site'],
      ['with the token, Sec-Fetch-Site: same-site', () => ({ cookie, csrf, site: 'same-site' }), 403, 'Sec-Fetch-Site'],
      ['with a Bearer operate key and no cookie: no token needed', () => ({ key: api.keys.operate }), 404],
      ['with an unknown Bearer key beside the cookie: the header decides', () => ({ cookie, csrf, key: 'hl7k_unknown' }), 401],
      ['with a read Bearer key beside the cookie: the header decides', () => ({ cookie, csrf, key: api.keys.read }), 403, 'the API key ops-read does not have the operate role'],
    ])('%s → %i', async (_name, how, status, detail) => {
      const answer = await call('POST', reprocess, how());
      expect(answer.status).toBe(status);
      if (status !== 404) expect(answer.headers['content-type']).toBe('application/problem+json; charset=utf-8');
      if (detail !== undefined) expect((answer.json() as { detail: string }).detail).toContain(detail);
    });
  });

  it('refuses reprocess to a read session, with the token (403: the role)', async () => {
    const { cookie, view } = await signIn(api.keys.read);
    const answer = await call('POST', '/api/messages/1/reprocess', { cookie, csrf: view.csrfToken });
    expect(answer.status).toBe(403);
    expect(answer.json()).toMatchObject({ detail: 'the console session of ops-read does not have the operate role' });
  });

  it('never gives a session the ingest role: an ingest+read key signs in as read, and POST /hl7 with its cookie is refused', async () => {
    const { cookie, view } = await signIn(api.keys.both);
    expect(view.roles).toEqual(['read']);
    const answer = await send({
      port: api.httpsPort ?? 0,
      ca: api.pki.ca,
      path: '/hl7',
      headers: { cookie, 'x-csrf-token': view.csrfToken, 'content-type': 'application/hl7-v2' },
      body: 'MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X1|P|2.5\r',
    });
    expect(answer.status).toBe(403);
    expect(answer.json()).toMatchObject({ detail: 'the console session of both does not have the ingest role' });
  });

  it.each<[string, () => Call, number, string]>([
    ['an unknown key', () => ({ body: { apiKey: 'hl7k_not-a-key' } }), 401, 'the API key is not known'],
    ['an ingest-only key', () => ({ body: { apiKey: api.keys.ingest } }), 403, 'has no role the console uses'],
    ['no key and no certificate', () => ({ body: {} }), 401, 'send an API key'],
    ['an unknown property', () => ({ body: { apiKey: api.keys.read, roles: ['operate'] } }), 400, 'apiKey'],
    ['a cross-site sign-in', () => ({ body: { apiKey: api.keys.read }, site: 'cross-site' }), 403, 'Sec-Fetch-Site'],
  ])('refuses sign-in with %s (%i), sets no cookie, logs no key', async (_name, how, status, detail) => {
    const answer = await call('POST', '/api/console/session', how());
    expect(answer.status).toBe(status);
    expect(answer.headers['set-cookie']).toBeUndefined();
    expect((answer.json() as { detail: string }).detail).toContain(detail);
    const logs = api.logs.join('\n');
    expect(logs).not.toContain('hl7k_not-a-key');
    for (const key of Object.values(api.keys)) expect(logs).not.toContain(key);
  });

  it('logs a refused sign-in with the remote address', () => {
    const refused = api.logs.filter((line) => line.includes('"msg":"console sign-in refused"'));
    expect(refused.some((line) => /"remote":"(::ffff:)?127\.0\.0\.1"/.test(line) && line.includes('"reason":"unknown-key"'))).toBe(true);
  });

  it('signs out: needs the token, clears the cookie and the site data, and the old cookie is refused after', async () => {
    const { cookie, view } = await signIn(api.keys.read);
    expect((await call('DELETE', '/api/console/session', { cookie })).status).toBe(403);
    const out = await call('DELETE', '/api/console/session', { cookie, csrf: view.csrfToken });
    expect(out.status).toBe(204);
    expect(out.headers['set-cookie']).toEqual(['__Host-hl7-console=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict']);
    expect(out.headers['clear-site-data']).toBe('"cache", "cookies", "storage"');
    expect((await call('GET', '/api/messages', { cookie })).status).toBe(401);
    const again = await call('GET', '/api/console/session', { cookie });
    expect(again.status).toBe(401);
    expect(again.json()).toMatchObject({ detail: 'the console session has ended or is not valid: sign in again' });
    expect(api.logs.some((line) => line.includes('"msg":"console sign-out"') && line.includes('"keyName":"ops-read"'))).toBe(true);
  });

  it('refuses a tampered cookie, and answers GET /api/console/session 401 to a Bearer key', async () => {
    const { cookie } = await signIn(api.keys.read);
    const [name, value = ''] = cookie.split('=');
    const body = JSON.parse(Buffer.from(value.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
    const forged = `${name}=${Buffer.from(JSON.stringify({ ...body, name: 'ops-operate' })).toString('base64url')}.${value.split('.')[1]}`;
    expect((await call('GET', '/api/messages', { cookie: forged })).status).toBe(401);
    expect((await call('GET', '/api/messages', { cookie: `${cookie}x` })).status).toBe(401);
    const byKey = await call('GET', '/api/console/session', { key: api.keys.read });
    expect(byKey.status).toBe(401);
    expect(byKey.json()).toMatchObject({ detail: 'no console session: sign in first' });
  });

  it('ends a session after idleMinutes unused, renews it (at most once a minute) while used, and ends it at maxHours anyway', async () => {
    const idle = await signIn(api.keys.read);
    now += 15 * 60_000;
    expect((await call('GET', '/api/messages', { cookie: idle.cookie })).status).toBe(401);

    // A page's timed refresh (x-console-background: 1) is served but renews nothing: an overview left
    // open does not keep the session alive.
    const polled = await signIn(api.keys.read);
    now += 14 * 60_000;
    const refresh = await call('GET', '/api/messages', { cookie: polled.cookie, background: true });
    expect(refresh.status).toBe(200);
    expect(refresh.headers['set-cookie']).toBeUndefined();
    now += 2 * 60_000;
    expect((await call('GET', '/api/messages', { cookie: polled.cookie })).status).toBe(401);

    let { cookie } = await signIn(api.keys.read);
    const signedInAt = now;
    const quick = await call('GET', '/api/messages', { cookie });
    expect(quick.headers['set-cookie']).toBeUndefined();
    while (now + 14 * 60_000 < signedInAt + 8 * 3_600_000) {
      now += 14 * 60_000;
      const used = await call('GET', '/api/messages', { cookie });
      expect(used.status).toBe(200);
      expect(used.headers['set-cookie']).toEqual([expect.stringMatching(cookieLine)]);
      cookie = cookieOf(used);
    }
    const shown = (await call('GET', '/api/console/session', { cookie })).json() as SessionView;
    expect(shown.expiresAt).toBe(new Date(signedInAt + 8 * 3_600_000).toISOString());
    now = signedInAt + 8 * 3_600_000;
    expect((await call('GET', '/api/messages', { cookie })).status).toBe(401);
  });

  it('records who opened which message (the row id) in the request line, as an audit trail', async () => {
    const { cookie } = await signIn(api.keys.read);
    await call('GET', '/api/messages/4242/tree', { cookie });
    const line = api.logs.find((l) => l.includes('"route":"/api/messages/:id/tree"') && l.includes('"messageId":"4242"'));
    expect(line).toContain('"keyName":"ops-read"');
    expect(api.logs.filter((l) => l.includes('"route":"/api/messages"')).every((l) => !l.includes('messageId'))).toBe(true);
  });

  it('keeps cookies, keys and CSRF tokens out of the logs', () => {
    const logs = api.logs.join('\n');
    expect(logs).not.toContain('__Host-hl7-console=');
    expect(logs).not.toMatch(/x-csrf-token/i);
  });
});

describe('console sessions across instances and configuration changes', () => {
  const sessionKey = 's'.repeat(40);
  const start = (console: DeepPartial<Config['console']>, https: DeepPartial<Config['https']> = {}) =>
    startApiApp('sqlite', { console, https }, { runEngine: false });

  it('limits sign-in attempts per address (console.signInsPerMinute), then 429', async () => {
    const api = await start({ signInsPerMinute: 2 });
    try {
      const { call } = client(api);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await call('POST', '/api/console/session', { body: { apiKey: 'hl7k_guess' } })).status);
      expect(statuses).toEqual([401, 401, 429]);
      // Other routes keep their own (larger) budget.
      expect((await call('GET', '/api/messages', { key: api.keys.read })).status).toBe(200);
    } finally {
      await api.stop();
    }
  });

  it('accepts a session on another instance with the same console.sessionKey, and ends it once its key is gone', async () => {
    const first = await start({ sessionKey });
    let cookie: string;
    try {
      ({ cookie } = await client(first).signIn(first.keys.read));
    } finally {
      await first.stop();
    }
    // Same key names, other keys: the session is honoured by name, with that name's roles now.
    const second = await start({ sessionKey });
    try {
      expect((await client(second).call('GET', '/api/messages', { cookie })).status).toBe(200);
    } finally {
      await second.stop();
    }
    const withoutTheKey = await start({ sessionKey }, { apiKeys: [] });
    try {
      const refused = await client(withoutTheKey).call('GET', '/api/messages', { cookie });
      expect(refused.status).toBe(401);
      expect(refused.json()).toMatchObject({ detail: 'the console session has ended or is not valid: sign in again' });
    } finally {
      await withoutTheKey.stop();
    }
    const otherKey = await start({ sessionKey: 'o'.repeat(40) });
    try {
      expect((await client(otherKey).call('GET', '/api/messages', { cookie })).status).toBe(401);
    } finally {
      await otherKey.stop();
    }
  });

  it('has no console routes when console.enabled is false, and a cookie counts for nothing', async () => {
    const api = await start({ enabled: false });
    try {
      const { call } = client(api);
      expect((await call('POST', '/api/console/session', { body: { apiKey: api.keys.read } })).status).toBe(404);
      expect((await call('GET', '/api/console/session')).status).toBe(404);
      expect((await call('GET', '/console/')).status).toBe(404);
      expect((await call('GET', '/api/messages', { cookie: '__Host-hl7-console=x.y' })).status).toBe(401);
    } finally {
      await api.stop();
    }
  });
});

describe('console sign-in with a client certificate', () => {
  const subject = 'CN=ops-desk,O=Hospital,C=CH';
  let pki: TestPki;
  let t: TestApp;
  let listed: KeyPair;
  let unlisted: KeyPair;
  beforeAll(async () => {
    pki = createTestPki();
    listed = pki.client('/C=CH/O=Hospital/CN=ops-desk');
    unlisted = pki.client('/C=CH/O=Hospital/CN=someone');
    t = await startTestApp('sqlite', {
      https: {
        enabled: true,
        tls: { keyFile: pki.server.keyFile, certFile: pki.server.certFile, caFile: pki.caFile, requestClientCert: true },
        clientCerts: [{ subject, roles: ['operate', 'ingest'] }],
      },
    }, { runEngine: false });
  });
  afterAll(async () => {
    await t?.close();
    pki?.cleanup();
  });

  const call = (method: string, path: string, headers: Record<string, string>, cert?: KeyPair, body?: string) =>
    send({ port: t.httpsPort ?? 0, ca: pki.ca, method, path, headers, key: cert?.key, cert: cert?.cert, ...(body === undefined ? {} : { body }) });

  it('signs in with an empty body and a listed certificate, as that subject, without ingest', async () => {
    const answer = await call('POST', '/api/console/session', {}, listed);
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ name: subject, via: 'cert', roles: ['operate'] });
    // The cookie alone (no certificate) then reads the API.
    expect((await call('GET', '/api/messages', { cookie: cookieOf(answer) })).status).toBe(200);
  });

  it('refuses a state-changing request that another site made with the certificate (Sec-Fetch-Site), serves the same from the certificate holder', async () => {
    const post = (site: string | null) =>
      call('POST', '/api/processing/retry', { 'content-type': 'application/json', ...(site === null ? {} : { 'sec-fetch-site': site }) }, listed, '{"processingState":"failed"}');
    const crossSite = await post('cross-site');
    expect(crossSite.status).toBe(403);
    expect(crossSite.json()).toMatchObject({ detail: expect.stringContaining('client certificate authorises no state-changing request made by another site') });
    expect((await post(null)).status).not.toBe(403);
    expect((await post('same-origin')).status).not.toBe(403);
  });

  it.each([
    ['an unlisted certificate', () => unlisted],
    ['no certificate', () => undefined],
  ])('refuses %s (401)', async (_name, cert) => {
    const answer = await call('POST', '/api/console/session', { 'content-type': 'application/json' }, cert(), '{}');
    expect(answer.status).toBe(401);
    expect(answer.json()).toMatchObject({ detail: 'send an API key, or a client certificate listed in https.clientCerts' });
  });
});

describe('signing in again', () => {
  it('ends the session the browser held before, and counts requests per session name for the rate limit', async () => {
    const api = await startApiApp('sqlite', { https: { rateLimit: { max: 4, timeWindowMs: 60_000 } } }, { runEngine: false });
    try {
      const { call, signIn } = client(api);
      const first = await signIn(api.keys.read);
      const second = await call('POST', '/api/console/session', { body: { apiKey: api.keys.read }, cookie: first.cookie });
      expect(second.status).toBe(200);
      expect((await call('GET', '/api/messages', { cookie: first.cookie })).status).toBe(401);
      const cookie = cookieOf(second);
      // Bucket `session:ops-read` (4 a minute here), apart from the address's and from the key's own.
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await call('GET', '/api/messages', { cookie })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      expect((await call('GET', '/api/messages', { key: api.keys.read })).status).toBe(200);
      expect(api.logs.join('\n')).toContain('"bucket":"session:ops-read"');
    } finally {
      await api.stop();
    }
  });
});
