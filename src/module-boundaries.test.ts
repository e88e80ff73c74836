import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The module boundaries of docs/architecture.md, read from the source with the TypeScript
// compiler's own import scanner (type-only imports included): no import cycles anywhere in src/,
// and the folders that must stay independent import only what they may.

const root = dirname(fileURLToPath(import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'web' ? [] : sourceFiles(path); // browser code: its own build
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const files = sourceFiles(root);

/** Relative imports of a file, as absolute paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map((i) => i.fileName).filter((name) => name.startsWith('.')).map((name) => resolve(dirname(file), name));
}

/** Every cycle found by a depth-first walk, each as a list of paths relative to src/. */
function findCycles(): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    path.push(file);
    for (const next of importsOf(file)) {
      if (state.get(next) === 'open') cycles.push(path.slice(path.indexOf(next)).map((f) => relative(root, f)));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

/** Sub-folders held to their own rules, apart from the folder they sit in. */
const subFolders = ['fhir/map'];

const folderOf = (file: string): string => {
  const parts = relative(root, file).split(sep);
  const two = parts.slice(0, 2).join('/');
  return parts.length > 2 && subFolders.includes(two) ? two : (parts[0] ?? '');
};

/**
 * What each independent folder may import from other folders of src/ (its own files always):
 * folder names, or single files (path relative to src/). fhir/map is the pure v2 → FHIR mapping:
 * the HL7 parser, the mapping→store contract and the id scheme, nothing with I/O.
 */
const allowed: Record<string, string[]> = {
  hl7: [],
  net: [],
  config: [],
  store: ['config'],
  'fhir/map': ['hl7', 'fhir/projection.ts', 'fhir/ids.ts'],
};

describe('src/ module boundaries', () => {
  it('has no import cycles', () => {
    expect(findCycles()).toEqual([]);
  });

  it.each(Object.entries(allowed))('keeps %s/ to its allowed imports (%j)', (folder, others) => {
    const outside = files
      .filter((file) => folderOf(file) === folder)
      .flatMap((file) => importsOf(file).map((target) => ({ from: relative(root, file), to: relative(root, target), folder: folderOf(target) })))
      .filter((edge) => edge.folder !== folder && !others.includes(edge.folder) && !others.includes(edge.to.split(sep).join('/')));
    expect(outside).toEqual([]);
  });

  it.each([['mllp/frame.ts'], ['fhir/ids.ts'], ['fhir/projection.ts']])('keeps %s free of any other src/ import', (file) => {
    expect(importsOf(join(root, ...file.split('/')))).toEqual([]);
  });

  it('sees a forbidden import from fhir/map (the rule can fail)', () => {
    const edge = { folder: folderOf(join(root, 'fhir', 'store', 'x.ts')), to: 'fhir/store/x.ts' };
    expect(edge.folder).toBe('fhir');
    expect(allowed['fhir/map']?.includes(edge.folder) || allowed['fhir/map']?.includes(edge.to)).toBe(false);
  });
});
