import { build, type BuildFailure, type Message } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

// The console's files, made once per process on first request and kept in memory. app.js is
// src/console/web/main.tsx bundled by esbuild's JS API into one ES module: the pages are typed TSX
// that `npm test` checks with tsc (src/console/web/tsconfig.json), there is no build step whose
// output could be stale or missing on disk, nothing is written (the image's root is read-only), and
// it works after `npm ci --omit=dev` (esbuild is a dependency). A failed build is not kept: the
// next request tries again.

export const assetNames = ['index.html', 'app.js', 'app.css', 'uplot.css'] as const;
export type AssetName = (typeof assetNames)[number];

export type Asset = { body: Buffer; contentType: string; etag: string };

export type ConsoleAssets = {
  /** Rejects with AssetUnavailableError (already logged, naming the file) when the file cannot be made. */
  get(name: AssetName): Promise<Asset>;
};

export class AssetUnavailableError extends Error {}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const sources: Record<AssetName, { file: (webDir: string) => string; contentType: string }> = {
  'index.html': { file: (webDir) => join(webDir, 'index.html'), contentType: 'text/html; charset=utf-8' },
  'app.js': { file: (webDir) => join(webDir, 'main.tsx'), contentType: 'text/javascript; charset=utf-8' },
  'app.css': { file: (webDir) => join(webDir, 'app.css'), contentType: 'text/css; charset=utf-8' },
  // uPlot's own stylesheet, as the package ships it.
  'uplot.css': { file: () => createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), contentType: 'text/css; charset=utf-8' },
};

/** `webDir`: the browser code's folder (src/console/web; another one in tests). */
export function createConsoleAssets(log: Logger, webDir = fileURLToPath(new URL('./web/', import.meta.url))): ConsoleAssets {
  const made = new Map<AssetName, Promise<Asset>>();
  return {
    get(name) {
      let asset = made.get(name);
      if (asset === undefined) {
        asset = make(name, webDir, log);
        made.set(name, asset);
        // Forget a failure, so a fixed file is picked up without a restart.
        asset.catch(() => made.delete(name));
      }
      return asset;
    },
  };
}

async function make(name: AssetName, webDir: string, log: Logger): Promise<Asset> {
  const { file, contentType } = sources[name];
  const path = file(webDir);
  const body = name === 'app.js' ? await bundle(webDir, path, log) : await readFile(path).catch((err: unknown) => fail(log, path, [String((err as Error).message)]));
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

async function bundle(webDir: string, mainFile: string, log: Logger): Promise<Buffer> {
  const started = performance.now();
  try {
    const result = await build({
      entryPoints: [mainFile],
      tsconfig: join(webDir, 'tsconfig.json'),
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      minify: true,
      legalComments: 'eof',
      logLevel: 'silent',
    });
    const output = result.outputFiles[0];
    if (output === undefined) return fail(log, mainFile, ['esbuild gave no output']);
    log.info({ file: relative(repoRoot, mainFile), bytes: output.contents.length, ms: Math.round(performance.now() - started) }, 'console: app.js built');
    return Buffer.from(output.contents);
  } catch (err) {
    const errors = (err as Partial<BuildFailure>).errors;
    return fail(log, mainFile, Array.isArray(errors) ? errors.map(describeMessage) : [String((err as Error).message)]);
  }
}

/** `src/console/web/x.tsx:3:7: message`, without the source line. */
function describeMessage(message: Message): string {
  const at = message.location;
  return at === null ? message.text : `${at.file}:${at.line}:${at.column}: ${message.text}`;
}

function fail(log: Logger, path: string, errors: string[]): never {
  const file = relative(repoRoot, path);
  log.error({ file, errors }, 'console: a file of the console cannot be served');
  throw new AssetUnavailableError(`${file} cannot be served`);
}
