import type { z } from 'zod';
import type { YAMLException } from 'js-yaml';
import { isSecret } from './secrets.ts';

// Turns parser and validator errors into short, readable lines. No message built here contains a
// configuration value: any of them may be a password, decrypted or not.

export type ConfigProblem = { path: string; message: string };

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];

export function joinPath(path: Path): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

/** Names the kind of a value without showing it. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number with a fraction';
  if (typeof value === 'boolean') return 'true/false';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const expectedNames: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object (key: value lines)',
  array: 'a list',
  record: 'an object (key: value lines)',
};

function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

// Keys are not secret, but someone may paste ciphertext in the wrong place.
function showKey(key: string): string {
  return isSecret(key) ? '![…]' : key;
}

function describeBound(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const small = issue.code === 'too_small';
  const bound = String(small ? issue.minimum : issue.maximum);
  if (issue.origin === 'string' && small && bound === '1') return 'must not be empty';
  const op = issue.inclusive === false ? (small ? 'greater than' : 'less than') : small ? 'at least' : 'at most';
  if (issue.origin === 'string') return `must be ${op} ${bound} characters long`;
  if (issue.origin === 'array') return `must have ${op} ${bound} entries`;
  return `must be ${op} ${bound}`;
}

/** One zod issue → one or more problems; `input` is the validated tree, used only to name kinds. */
export function describeIssue(issue: Issue, input: unknown): ConfigProblem[] {
  const path = joinPath(issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({ path, message: `unknown key '${showKey(key)}' (check spelling)` }));
    case 'invalid_type': {
      const expected = expectedNames[issue.expected] ?? issue.expected;
      return [{ path, message: `expected ${expected}, got ${describeValue(valueAt(input, issue.path))}` }];
    }
    case 'invalid_value':
      return [{ path, message: `expected one of ${issue.values.map((v) => `'${String(v)}'`).join(', ')}` }];
    case 'too_small':
    case 'too_big':
      return [{ path, message: describeBound(issue) }];
    case 'invalid_key':
      return [{ path, message: `not allowed as a key: ${issue.issues[0]?.message ?? 'wrong format'}` }];
    default:
      // zod's own messages name types and patterns, never the input; the schema's custom ones neither.
      return [{ path, message: issue.message }];
  }
}

// A few js-yaml reasons quote a tag, alias or directive from the source; cut those parts out.
function safeReason(reason: string): string {
  return reason
    .replace(/"[^"]*"/g, '"…"')
    .replace(/!<[^>]*>/g, '!<…>')
    .replace(/: .*$/, '');
}

/** The position and reason only: js-yaml's own message carries a snippet of the file. */
export function describeYamlError(file: string, error: YAMLException, source: string): ConfigProblem {
  const mark = error.mark as { line?: number; column?: number } | undefined;
  const at = mark?.line === undefined ? '' : ` at line ${mark.line + 1}, column ${(mark.column ?? 0) + 1}`;
  const line = mark?.line === undefined ? '' : (source.split(/\r?\n/)[mark.line] ?? '');
  // An unquoted ![...] is read as a YAML tag, which fails in a confusing way.
  const hint = /(^|[\s:[{,-])!\[/.test(line) ? " (quote encrypted values: key: '![...]')" : '';
  return { path: file, message: `YAML syntax error${at}: ${safeReason(error.reason)}${hint}` };
}
