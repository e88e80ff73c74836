import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiApp, type ApiApp } from './api-setup.ts';

// The OpenAPI document (/docs/json) and the browsable UI (/docs) on the real service.

type Operation = { parameters?: { name: string; in: string }[]; security?: unknown[]; responses: Record<string, unknown> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

describe('OpenAPI document, https.openDocs off', () => {
  let t: ApiApp;
  beforeAll(async () => {
    t = await startApiApp('sqlite');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('needs a read key', async () => {
    expect((await t.get('/docs/json', null)).status).toBe(401);
    expect((await t.get('/docs', null)).status).toBe(401);
    expect((await t.get('/docs/static/swagger-initializer.js', null)).status).toBe(401);
  });

  it('describes every route, its parameters and which need a key', async () => {
    const answer = await t.get('/docs/json');
    expect(answer.status).toBe(200);
    const doc = answer.json() as Document;
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/console/overview',
      '/api/console/patients/{id}/timeline',
      '/api/console/session',
      '/api/messages',
      '/api/messages/{id}',
      '/api/messages/{id}/fhir',
      '/api/messages/{id}/raw',
      '/api/messages/{id}/reprocess',
      '/api/messages/{id}/tree',
      '/api/processing',
      '/api/processing/retry',
      '/health/live',
      '/health/ready',
      '/hl7',
      '/metrics',
    ]);
    const list = doc.paths['/api/messages']?.get;
    expect(list?.parameters?.map((p) => p.name).sort()).toEqual(
      ['controlId', 'cursor', 'event', 'from', 'limit', 'order', 'patientId', 'processingState', 'sendingApplication', 'sendingFacility', 'status', 'to', 'transport', 'type'],
    );
    expect(list?.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/api/messages/{id}']?.get?.parameters?.map((p) => `${p.in}:${p.name}`).sort()).toEqual(['path:id', 'query:format']);
    expect(doc.paths['/api/messages/{id}/reprocess']?.post?.parameters?.map((p) => `${p.in}:${p.name}`)).toEqual(['path:id']);
    const consolePaths = ['/api/messages/{id}/tree', '/api/messages/{id}/raw', '/api/messages/{id}/fhir', '/api/console/patients/{id}/timeline'];
    for (const path of consolePaths) expect(doc.paths[path]?.get?.parameters?.map((p) => `${p.in}:${p.name}`), path).toEqual(['path:id']);
    for (const path of ['/api/processing', '/api/processing/retry', '/api/messages/{id}/reprocess', '/api/console/overview', ...consolePaths]) {
      const operation = doc.paths[path]?.get ?? doc.paths[path]?.post;
      expect(operation?.security, path).toEqual([{ apiKey: [] }]);
    }
    expect(doc.paths['/health/ready']?.get?.security).toBeUndefined();
    expect(doc.paths['/api/console/session']?.post?.security).toBeUndefined();
    expect(doc.paths['/api/console/session']?.get?.security).toEqual([{ consoleSession: [] }]);
    expect(doc.paths['/metrics']?.get?.security).toEqual([{ apiKey: [] }]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});

describe('OpenAPI document, https.openDocs and openMetrics on', () => {
  let t: ApiApp;
  beforeAll(async () => {
    t = await startApiApp('sqlite', { https: { openDocs: true, openMetrics: true } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves the UI and its files without a key', async () => {
    const page = await t.get('/docs/', null);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect((await t.get('/docs/static/swagger-initializer.js', null)).status).toBe(200);
    expect((await t.get('/docs/static/swagger-ui.css', null)).status).toBe(200);
  });

  it('marks /metrics as open', async () => {
    const doc = (await t.get('/docs/json', null)).json() as Document;
    expect(doc.paths['/metrics']?.get?.security).toBeUndefined();
    expect(doc.paths['/api/messages']?.get?.security).toEqual([{ apiKey: [] }]);
  });
});
