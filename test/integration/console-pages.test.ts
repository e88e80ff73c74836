import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleCsp } from '../../src/console/page-routes.ts';
import { send, type Answer } from '../support/https-client.ts';
import { startApiApp, type ApiApp } from './api-setup.ts';

// The console's page and files over real HTTPS: public (no key, no data), their own strict CSP,
// app.js bundled from src/console/web/main.tsx in memory, revalidated by ETag; the API's answers
// keep helmet's policy and are never stored by a browser.

let api: ApiApp;
beforeAll(async () => {
  api = await startApiApp('sqlite', {}, { runEngine: false });
});
afterAll(() => api?.stop());

const get = (path: string, headers: Record<string, string> = {}): Promise<Answer> =>
  send({ port: api.httpsPort ?? 0, ca: api.pki.ca, method: 'GET', path, headers });

describe('the console under /console/', () => {
  it('redirects /console to /console/', async () => {
    const answer = await get('/console');
    expect(answer.status).toBe(301);
    expect(answer.headers.location).toBe('/console/');
  });

  it.each([
    ['/console/', 'text/html; charset=utf-8', /<script type="module" src="\/console\/app\.js"><\/script>/],
    ['/console/app.js', 'text/javascript; charset=utf-8', /HL7 listener console/],
    ['/console/app.css', 'text/css; charset=utf-8', /font-family/],
    ['/console/uplot.css', 'text/css; charset=utf-8', /\.uplot/],
  ])('serves %s without a key, as %s, under the console CSP', async (path, type, content) => {
    const answer = await get(path);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(type);
    expect(answer.text).toMatch(content);
    expect(answer.headers['content-security-policy']).toBe(consoleCsp);
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.headers['cache-control']).toBe('no-cache');
    const again = await get(path, { 'if-none-match': String(answer.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body).toHaveLength(0);
  });

  it('sends the exact console policy', () => {
    expect(consoleCsp).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
    );
  });

  it('has no inline script or style in the page', async () => {
    const html = (await get('/console/')).text;
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('bundles main.tsx with preact into one module that imports nothing', async () => {
    const js = (await get('/console/app.js')).text;
    // No import statement (at the start of a statement) and no dynamic import(): the words
    // `import`/`from` inside strings ("Received from") are not imports.
    expect(js).not.toMatch(/(?:^|[;{}])\s*import\s*[\w{*"']/);
    expect(js).not.toMatch(/\bimport\(/);
    expect(js).not.toMatch(/\brequire\(/);
    // The JSX went through preact's automatic runtime (its vnode marker), not React's.
    expect(js).toContain('Symbol.for("pv")');
    expect(api.logs.filter((line) => line.includes('console: app.js built'))).toHaveLength(1);
  });

  it('keeps helmet policy and no-store on the API', async () => {
    for (const path of ['/api/messages', '/fhir/metadata']) {
      const answer = await get(path, { authorization: `Bearer ${api.keys.read}` });
      expect(answer.status).toBe(200);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.headers['content-security-policy']).not.toBe(consoleCsp);
    }
    expect((await get('/api/messages')).headers['cache-control']).toBe('no-store');
  });

  it('keeps the console files out of the OpenAPI document', async () => {
    const doc = (await get('/docs/json', { authorization: `Bearer ${api.keys.read}` })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/console'))).toEqual([]);
    expect(doc.paths['/api/console/session']).toBeDefined();
  });
});
