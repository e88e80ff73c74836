import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../log.ts';
import { AssetUnavailableError, createConsoleAssets } from './assets.ts';

// What the console's files do when the browser code does not build or a file is missing: the
// request fails with an error that is logged once, naming the file and the place, and the next
// request tries again (a fixed file is served without a restart).

const dir = mkdtempSync(join(tmpdir(), 'hl7-console-web-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createConsoleAssets', () => {
  it('logs a failed build naming the file and line, and builds again once the file is fixed', async () => {
    writeFileSync(join(dir, 'tsconfig.json'), '{}');
    writeFileSync(join(dir, 'main.tsx'), 'const x = ;\n');
    const lines: string[] = [];
    const assets = createConsoleAssets(createLogger({ level: 'info' }, { write: (line) => void lines.push(line) }), dir);
    await expect(assets.get('app.js')).rejects.toBeInstanceOf(AssetUnavailableError);
    const logged = lines.find((line) => line.includes('a file of the console cannot be served'));
    expect(logged).toMatch(/main\.tsx:1:10: Unexpected \\";\\"/);
    expect(logged).toContain('"level":50');

    writeFileSync(join(dir, 'main.tsx'), 'document.title = "fixed";\n');
    const fixed = await assets.get('app.js');
    expect(fixed.body.toString()).toContain('fixed');
    expect(fixed.contentType).toBe('text/javascript; charset=utf-8');
    expect(fixed.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });

  it('names a missing stylesheet', async () => {
    const lines: string[] = [];
    const assets = createConsoleAssets(createLogger({ level: 'info' }, { write: (line) => void lines.push(line) }), dir);
    await expect(assets.get('app.css')).rejects.toBeInstanceOf(AssetUnavailableError);
    expect(lines.join('\n')).toMatch(/"file":"[^"]*app\.css"/);
  });
});
