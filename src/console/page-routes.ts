import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '../http/problem.ts';
import { AssetUnavailableError, type AssetName, type ConsoleAssets } from './assets.ts';

// The console's page and files under /console/, public: they hold no data (the data comes from the
// API, behind the session). Their own Content-Security-Policy replaces helmet's default for these
// answers only: scripts, styles and requests from this origin only, no inline code, no framing.
// Cached by the browser but checked every time (no-cache + ETag), so a new version shows at once.

export const consoleCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const files: Record<string, AssetName> = {
  '/console/': 'index.html',
  '/console/app.js': 'app.js',
  '/console/app.css': 'app.css',
  '/console/uplot.css': 'uplot.css',
};

export const consolePageRoutes: FastifyPluginAsync<{ assets: ConsoleAssets }> = async (app, { assets }) => {
  // Scoped to this plugin's routes (no fastify-plugin): the API keeps helmet's policy.
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('content-security-policy', consoleCsp);
    return payload;
  });
  const options = { config: { auth: 'public' as const }, schema: { hide: true } };
  app.get('/console', options, (_request, reply) => reply.redirect('/console/', 301));
  for (const [url, name] of Object.entries(files)) {
    app.get(url, options, (request, reply) => serve(assets, name, request, reply));
  }
};

async function serve(assets: ConsoleAssets, name: AssetName, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  let asset;
  try {
    asset = await assets.get(name);
  } catch (err) {
    if (err instanceof AssetUnavailableError) return sendProblem(reply, 500, 'Internal Server Error', 'the console cannot be served: see the service log');
    throw err;
  }
  reply.header('cache-control', 'no-cache').header('etag', asset.etag);
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  return reply.type(asset.contentType).send(asset.body);
}
