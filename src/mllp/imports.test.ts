import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// Module boundaries of the MLLP door, read from the source (the TypeScript compiler's own import
// scanner): no import cycles among its modules, and the framer imports nothing else from src/.

const here = dirname(fileURLToPath(import.meta.url));
const modules = readdirSync(here).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'));

/** Relative imports of a file, as absolute paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('.')).map((name) => resolve(dirname(file), name));
}

/** Every cycle found by a depth-first walk, each as a list of module names. */
function findCycles(files: string[]): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of importsOf(file).filter((f) => f.startsWith(here))) {
      if (state.get(next) === 'open') cycles.push(path.slice(path.indexOf(next)).map((f) => relative(here, f)));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

describe('src/mllp module boundaries', () => {
  it('has no import cycles', () => {
    expect(findCycles(modules.map((name) => join(here, name)))).toEqual([]);
  });

  it('keeps frame.ts free of any other src/ import', () => {
    expect(importsOf(join(here, 'frame.ts'))).toEqual([]);
  });
});
