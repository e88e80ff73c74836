import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { authorizeFor, createAuthenticator, installAuth } from './auth.ts';

// The hook on a bare Fastify (inject, no sockets): route config decides, fail closed otherwise.

const KEY = 'read-key-1c9e';
const lines: string[] = [];
const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });

async function build(open: { openMetrics?: boolean; openDocs?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify();
  const auth = createAuthenticator(
    {
      apiKeys: [{ name: 'dashboard', sha256: createHash('sha256').update(KEY).digest('hex'), roles: ['read'] }],
      clientCerts: [],
      openMetrics: open.openMetrics ?? false,
      openDocs: open.openDocs ?? false,
    },
    log,
  );
  installAuth(app, auth, log);
  const who = async (request: { principal: unknown }) => ({ principal: request.principal });
  app.get('/public', { config: { auth: 'public' } }, who);
  app.get('/read', { config: { auth: 'read' } }, who);
  app.post('/ingest', { config: { auth: 'ingest' } }, who);
  app.get('/metrics', { config: { auth: 'metrics' } }, who);
  app.get('/forgotten', who);
  // As a plugin would register it: no config, only the hook.
  await app.register(async (child) => {
    child.get('/docs/page', { onRequest: authorizeFor('docs') }, who);
  });
  return app;
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  lines.length = 0;
});

const withKey = { authorization: `Bearer ${KEY}` };

describe('auth hook', () => {
  it.each([
    ['GET', '/public', {}, 200],
    ['GET', '/read', {}, 401],
    ['GET', '/read', withKey, 200],
    ['GET', '/read', { authorization: 'Bearer wrong' }, 401],
    ['POST', '/ingest', withKey, 403],
    ['GET', '/metrics', {}, 401],
    ['GET', '/metrics', withKey, 200],
    ['GET', '/docs/page', {}, 401],
    ['GET', '/docs/page', withKey, 200],
    ['GET', '/forgotten', withKey, 403],
    ['GET', '/no-such-route', {}, 404],
  ] as const)('%s %s %j → %i', async (method, url, headers, status) => {
    app = await build();
    const res = await app.inject({ method, url, headers });
    expect(res.statusCode).toBe(status);
    if (status === 401 || status === 403) {
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ type: 'about:blank', status });
    }
    if (status === 401) expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  it('opens /metrics and the docs without a key when configured', async () => {
    app = await build({ openMetrics: true, openDocs: true });
    expect((await app.inject({ url: '/metrics' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/docs/page' })).json()).toEqual({ principal: { name: 'anonymous', roles: [], via: 'anonymous' } });
  });

  it('sets the principal for the handler', async () => {
    app = await build();
    const res = await app.inject({ url: '/read', headers: withKey });
    expect(res.json()).toEqual({ principal: { name: 'dashboard', roles: ['read'], via: 'key' } });
  });

  it('logs a refusal with the key name, never the key', async () => {
    app = await build();
    await app.inject({ method: 'POST', url: '/ingest', headers: withKey });
    const refusal = lines.find((l) => l.includes('request refused'));
    expect(refusal).toContain('"keyName":"dashboard"');
    expect(lines.join('\n')).not.toContain(KEY);
  });
});
